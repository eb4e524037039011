//! A wake-up bell: one end of a socket pair is watched by the event loop,
//! the other is written by worker threads. Both ends are non-blocking, so
//! ringing never stalls a worker and clearing never stalls the loop.

use std::io::{self, ErrorKind, Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::net::UnixStream;

/// A socket-pair bell: `ring` makes the read end readable, `clear` empties it.
#[derive(Debug)]
pub struct Bell {
    watched: UnixStream,
    rung: UnixStream,
}

impl Bell {
    /// Creates a bell whose read end is ready to be handed to `loop.add_reader`.
    pub fn new() -> io::Result<Self> {
        let (watched, rung) = UnixStream::pair()?;
        watched.set_nonblocking(true)?;
        rung.set_nonblocking(true)?;
        Ok(Self { watched, rung })
    }

    /// The file descriptor the event loop watches for readability.
    pub fn fd(&self) -> RawFd {
        self.watched.as_raw_fd()
    }

    /// Makes the watched end readable. A full socket buffer means the bell is
    /// already ringing, so `WouldBlock` is success too.
    pub fn ring(&self) {
        match (&self.rung).write(&[1]) {
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::Interrupted => {}
            // The watched end is gone (the port was closed): nobody is listening.
            Err(_) => {}
        }
    }

    /// Reads the watched end dry. Must run before the queue is taken, so that
    /// a ring that races with the take is never lost.
    pub fn clear(&self) {
        let mut sink = [0u8; 256];
        loop {
            match (&self.watched).read(&mut sink) {
                Ok(n) if n == sink.len() => continue,
                Ok(_) => return,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => return,
            }
        }
    }

    /// Waits up to `timeout` for a ring and consumes it (for consumers that
    /// are not an event loop, such as the Rust tests). Returns whether it rang.
    pub fn wait(&self, timeout: std::time::Duration) -> bool {
        let deadline = std::time::Instant::now().checked_add(timeout);
        let mut probe = [0u8; 1];
        loop {
            if let Ok(1) = (&self.watched).read(&mut probe) {
                return true;
            }
            if deadline.is_some_and(|d| std::time::Instant::now() >= d) {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn ring_then_clear_leaves_it_quiet() {
        let bell = Bell::new().unwrap();
        assert!(!bell.wait(Duration::from_millis(1)));
        bell.ring();
        bell.ring();
        assert!(bell.wait(Duration::from_millis(100)));
        bell.clear();
        assert!(!bell.wait(Duration::from_millis(1)));
    }

    #[test]
    fn ringing_a_full_bell_never_blocks() {
        let bell = Bell::new().unwrap();
        // Far more rings than any socket buffer holds: each must return at once.
        for _ in 0..1_000_000 {
            bell.ring();
        }
        bell.clear();
        assert!(!bell.wait(Duration::from_millis(1)));
    }
}
