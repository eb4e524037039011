//! A framed, full-duplex link over one connected socket.
//!
//! Sending never blocks the caller: a frame is written at once with a
//! non-blocking send when nothing is queued, and whatever the socket cannot
//! take yet is handed to the link's writer thread. Receiving is done either
//! by the link's reader thread, which hands each batch of complete frames to
//! a callback as soon as it arrives, or (a link made with [`Link::polled`])
//! by the owner: its event loop watches the socket and calls
//! [`Link::read_ready`] when it turns readable. The second way saves two
//! thread hand-offs per round trip (reader thread wakes, then wakes the
//! loop), which is most of a small call's latency.

use aioxide_sync::{Unpoisoned, UnpoisonedWait};
use std::io::{self, Read};
use std::mem::MaybeUninit;
use std::net::Shutdown;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use socket2::Socket;

use crate::frame::{Decoder, Frame, FrameView, PayloadSink, TooLarge, WholeFrame, READ_AT_LEAST};
use crate::outbox::Outbox;

/// What the reader thread reports.
#[derive(Debug)]
pub enum Event {
    /// Complete frames, in arrival order.
    Frames(Vec<Frame>),
    /// The link is finished: the peer closed it, we shut it down, or reading
    /// failed. Nothing follows.
    Ended(End),
}

#[derive(Debug)]
pub enum End {
    /// The peer closed its end (for a child process: it exited or died).
    Closed,
    /// Reading failed.
    Failed(io::Error),
}

/// Why a send was refused.
#[derive(Debug)]
pub enum SendError {
    /// `shutdown()` was called on this link.
    Closed,
    /// The socket failed (usually: the peer is gone).
    Broken(io::ErrorKind, String),
    TooLarge(TooLarge),
}

struct Outgoing {
    /// Bytes not yet handed to the socket, oldest first.
    buf: Outbox,
    /// The writer thread is sending bytes it took out of `buf`.
    writing: bool,
    closed: bool,
    broken: Option<(io::ErrorKind, String)>,
}

struct Shared {
    socket: Socket,
    out: Mutex<Outgoing>,
    /// Signalled when bytes are queued for the writer, when the writer drains
    /// them, and on shutdown.
    changed: Condvar,
    /// Bytes the writer thread took out of `buf` and has not written yet.
    /// Kept outside the lock so that the writer, blocked in a send, never
    /// holds it; read by [`Link::unsent`], which must count them (they were
    /// accepted by `send` and are not on the socket).
    in_writer: AtomicUsize,
}

impl Shared {
    fn lock_out(&self) -> MutexGuard<'_, Outgoing> {
        self.out.locked()
    }
}

/// One end of a framed socket link, with its writer thread and either a
/// reader thread or an owner that reads.
pub struct Link {
    shared: Arc<Shared>,
    /// Present when the owner reads ([`Link::polled`]).
    polled: Option<Mutex<Decoder>>,
}

/// What one [`Link::read_ready`] found.
#[derive(Debug, Default)]
pub struct Received {
    /// Complete frames, in arrival order.
    pub frames: Vec<Frame>,
    /// Set when the link is finished (after these frames). Later calls
    /// report `End::Closed`.
    pub end: Option<End>,
}

/// A frame [`Link::read_ready_into_sinks`] hands out.
pub enum Incoming<'a> {
    /// Its payload is still in the receive buffer.
    InPlace(FrameView<'a>),
    /// Its payload was read into a sink of its own.
    Whole(WholeFrame),
}

/// Reads a polled link takes at most per call: a peer sending without pause
/// must not keep the owner's event loop in one callback.
const READS_PER_CALL: usize = 16;

/// Reads from the socket without waiting (the socket itself stays blocking
/// for the writer thread).
struct WithoutWaiting<'a>(&'a Socket);

impl Read for WithoutWaiting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // SAFETY: an initialised byte slice viewed as possibly-uninitialised
        // bytes: same size and layout, and `recv_with_flags` only stores
        // received bytes into it, so it stays initialised for the caller.
        let room = unsafe { &mut *(std::ptr::from_mut::<[u8]>(buf) as *mut [MaybeUninit<u8>]) };
        self.0.recv_with_flags(room, DONTWAIT)
    }
}

const DONTWAIT: libc::c_int = libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL;
const WAIT: libc::c_int = libc::MSG_NOSIGNAL;

impl Link {
    /// Takes ownership of a connected stream socket and starts the threads.
    /// `on_event` runs on the reader thread.
    pub fn new(
        fd: OwnedFd,
        name: &str,
        on_event: impl FnMut(Event) + Send + 'static,
    ) -> io::Result<Self> {
        let link = Self::with_writer(fd, name, None)?;
        let for_reader = link.shared.clone();
        let spawned = thread::Builder::new()
            .name(format!("{name}-reader"))
            .spawn(move || read_loop(&for_reader, on_event));
        if let Err(err) = spawned {
            // Stops the writer we already started.
            link.shutdown();
            return Err(err);
        }
        Ok(link)
    }

    /// Takes ownership of a connected stream socket and starts the writer
    /// thread only: the owner reads, calling [`Link::read_ready`] whenever
    /// [`Link::raw_fd`] turns readable (level-triggered: frames left unread
    /// keep it readable).
    pub fn polled(fd: OwnedFd, name: &str) -> io::Result<Self> {
        Self::with_writer(fd, name, Some(Mutex::new(Decoder::new())))
    }

    fn with_writer(fd: OwnedFd, name: &str, polled: Option<Mutex<Decoder>>) -> io::Result<Self> {
        let socket = Socket::from(fd);
        socket.set_nonblocking(false)?;
        let shared = Arc::new(Shared {
            socket,
            out: Mutex::new(Outgoing {
                buf: Outbox::default(),
                writing: false,
                closed: false,
                broken: None,
            }),
            changed: Condvar::new(),
            in_writer: AtomicUsize::new(0),
        });
        let for_writer = shared.clone();
        thread::Builder::new()
            .name(format!("{name}-writer"))
            .spawn(move || write_loop(&for_writer))?;
        Ok(Self { shared, polled })
    }

    /// The socket's descriptor, for an event loop to watch (owned by the
    /// link: valid until the link is dropped).
    pub fn raw_fd(&self) -> RawFd {
        self.shared.socket.as_raw_fd()
    }

    /// Whether the owner reads this link ([`Link::polled`]).
    pub fn is_polled(&self) -> bool {
        self.polled.is_some()
    }

    /// Reads what the socket holds now, without waiting, and returns the
    /// complete frames among it. `None` for a link read by its own thread.
    pub fn read_ready(&self) -> Option<Received> {
        let mut frames = Vec::new();
        let end = self.read_ready_with(|frame| {
            frames.push(Frame {
                kind: frame.kind,
                id: frame.id,
                payload: frame.payload.to_vec(),
            });
            Ok::<(), std::convert::Infallible>(())
        })?;
        Some(Received {
            frames,
            end: end.unwrap_or_else(|never| match never {}),
        })
    }

    /// [`Link::read_ready`] handing each frame to `each` while its payload
    /// is still in the receive buffer (no copy of its own). Returns the end
    /// of the link if it was reached. If `each` fails, the link is shut down
    /// (the frame it was given cannot be handed out again, and a peer whose
    /// answers are lost must not look alive) and its error returned.
    pub fn read_ready_with<E>(
        &self,
        mut each: impl FnMut(FrameView<'_>) -> Result<(), E>,
    ) -> Option<Result<Option<End>, E>> {
        self.read_ready_into_sinks(
            usize::MAX,
            |_| None,
            |incoming| match incoming {
                Incoming::InPlace(frame) => each(frame),
                Incoming::Whole(mut whole) => each(FrameView {
                    kind: whole.kind,
                    id: whole.id,
                    payload: whole.payload.bytes_mut(),
                }),
            },
        )
    }

    /// [`Link::read_ready_with`], except that a frame whose payload has
    /// `at_least` bytes is read straight into the sink `sink_for(len)`
    /// makes for it (see [`Decoder::read_into_sinks_from`]) and handed to
    /// `each` whole, with no copy out of the receive buffer.
    pub fn read_ready_into_sinks<E>(
        &self,
        at_least: usize,
        mut sink_for: impl FnMut(usize) -> Option<Box<dyn PayloadSink>>,
        mut each: impl FnMut(Incoming<'_>) -> Result<(), E>,
    ) -> Option<Result<Option<End>, E>> {
        let mut decoder = self.polled.as_ref()?.locked();
        let mut source = WithoutWaiting(&self.shared.socket);
        let mut reads = 0;
        while reads < READS_PER_CALL {
            match decoder.read_into_sinks_from(&mut source, at_least, &mut sink_for) {
                Ok(0) => return Some(Ok(Some(End::Closed))),
                Ok(read) => {
                    reads += 1;
                    // A sink's frame is complete only when nothing is left
                    // undecoded before it, so it comes first.
                    if let Some(whole) = decoder.take_whole() {
                        if let Err(err) = each(Incoming::Whole(whole)) {
                            self.shutdown();
                            return Some(Err(err));
                        }
                    }
                    loop {
                        match decoder.next_frame_in_place() {
                            Ok(Some(frame)) => {
                                if let Err(err) = each(Incoming::InPlace(frame)) {
                                    self.shutdown();
                                    return Some(Err(err));
                                }
                            }
                            Ok(None) => break,
                            Err(err) => {
                                let _ = self.shared.socket.shutdown(Shutdown::Both);
                                let err = io::Error::new(io::ErrorKind::InvalidData, err);
                                return Some(Ok(Some(End::Failed(err))));
                            }
                        }
                    }
                    if read < READ_AT_LEAST {
                        // Less than a chunk: the socket is (almost surely)
                        // drained; if not, it stays readable and the loop
                        // calls again, which costs less than a read that
                        // finds nothing.
                        break;
                    }
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => reads += 1,
                Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) if self.shared.lock_out().closed => return Some(Ok(Some(End::Closed))),
                Err(err) => return Some(Ok(Some(End::Failed(err)))),
            }
        }
        Some(Ok(None))
    }

    /// Queues the bytes `encode` adds (copied, or lent to the link),
    /// writing at once when possible.
    pub fn send(
        &self,
        encode: impl FnOnce(&mut Outbox) -> Result<(), TooLarge>,
    ) -> Result<(), SendError> {
        let mut out = self.shared.lock_out();
        if out.closed {
            return Err(SendError::Closed);
        }
        if let Some((kind, message)) = &out.broken {
            return Err(SendError::Broken(*kind, message.clone()));
        }
        let idle = !out.writing && out.buf.is_empty();
        let mark = out.buf.mark();
        if let Err(err) = encode(&mut out.buf) {
            out.buf.truncate(mark);
            return Err(SendError::TooLarge(err));
        }
        if idle {
            // Fast path on the caller's thread; never waits for the peer.
            while !out.buf.is_empty() {
                let sent = self
                    .shared
                    .socket
                    .send_vectored_with_flags(&out.buf.io_slices(), DONTWAIT);
                match sent {
                    Ok(sent) => out.buf.consume(sent),
                    Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                    Err(err) if err.kind() == io::ErrorKind::WouldBlock => break,
                    Err(err) => {
                        let broken = (err.kind(), err.to_string());
                        out.buf.clear();
                        out.broken = Some(broken.clone());
                        self.shared.changed.notify_all();
                        return Err(SendError::Broken(broken.0, broken.1));
                    }
                }
            }
        }
        if !out.buf.is_empty() {
            self.shared.changed.notify_all();
        }
        Ok(())
    }

    /// Bytes accepted by `send` but not yet written to the socket.
    pub fn unsent(&self) -> usize {
        let out = self.shared.lock_out();
        // Read under the lock: the writer stores its count before it lets
        // go of the lock that it took the bytes under, so nothing is
        // counted twice or missed.
        out.buf.len() + self.shared.in_writer.load(Ordering::Acquire)
    }

    /// Waits until every queued byte is written (or the link broke or was
    /// shut down). Returns whether everything was written.
    pub fn flush(&self, timeout: Duration) -> bool {
        // No deadline when `timeout` is too long to represent (a Python
        // `flush(1e300)`): adding it to an Instant would panic.
        let deadline = Instant::now().checked_add(timeout);
        let mut out = self.shared.lock_out();
        loop {
            if out.buf.is_empty() && !out.writing {
                return out.broken.is_none();
            }
            if out.closed || out.broken.is_some() {
                return false;
            }
            let left = deadline.map_or(Duration::MAX, |d| {
                d.saturating_duration_since(Instant::now())
            });
            if left.is_zero() {
                return false;
            }
            out = self.shared.changed.wait_timeout_locked(out, left);
        }
    }

    /// Stops both directions: the reader reports `Ended`, queued bytes are
    /// dropped, and later sends fail with `SendError::Closed`.
    pub fn shutdown(&self) {
        let mut out = self.shared.lock_out();
        if out.closed {
            return;
        }
        out.closed = true;
        out.buf.clear();
        drop(out);
        // ENOTCONN when the peer is already gone: nothing left to stop.
        let _ = self.shared.socket.shutdown(Shutdown::Both);
        self.shared.changed.notify_all();
    }

    pub fn is_shut_down(&self) -> bool {
        self.shared.lock_out().closed
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn read_loop(shared: &Shared, mut on_event: impl FnMut(Event)) {
    let mut decoder = Decoder::new();
    let mut source = &shared.socket;
    let end = loop {
        match decoder.read_from(&mut source) {
            Ok(0) => break End::Closed,
            Ok(_) => {
                let (frames, malformed) = decoder.drain_frames();
                if !frames.is_empty() {
                    on_event(Event::Frames(frames));
                }
                if let Some(err) = malformed {
                    // Nothing after this can be read as frames: the link is
                    // broken, as if the peer had failed.
                    let _ = shared.socket.shutdown(Shutdown::Both);
                    break End::Failed(io::Error::new(io::ErrorKind::InvalidData, err));
                }
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            // Made non-blocking by someone else (see `write_all`).
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                if let Err(err) = wait_for(shared.socket.as_raw_fd(), libc::POLLIN) {
                    break End::Failed(err);
                }
            }
            Err(_) if shared.lock_out().closed => break End::Closed,
            Err(err) => break End::Failed(err),
        }
    };
    on_event(Event::Ended(end));
}

fn write_loop(shared: &Shared) {
    loop {
        let mut chunk = {
            let mut out = shared.lock_out();
            while out.buf.is_empty() && !out.closed && out.broken.is_none() {
                out = shared.changed.wait_locked(out);
            }
            if out.closed || out.broken.is_some() {
                return;
            }
            out.writing = true;
            let chunk = out.buf.take();
            shared.in_writer.store(chunk.len(), Ordering::Release);
            chunk
        };
        let result = write_all(&shared.socket, &mut chunk, &shared.in_writer);
        let mut out = shared.lock_out();
        out.writing = false;
        shared.in_writer.store(0, Ordering::Release);
        if let Err(err) = result {
            out.buf.clear();
            out.broken = Some((err.kind(), err.to_string()));
        } else {
            out.buf.recycle(chunk);
        }
        shared.changed.notify_all();
    }
}

/// Writes every byte of `bytes`, keeping `left` at the count not yet
/// written.
fn write_all(socket: &Socket, bytes: &mut Outbox, left: &AtomicUsize) -> io::Result<()> {
    while !bytes.is_empty() {
        match socket.send_vectored_with_flags(&bytes.io_slices(), WAIT) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(sent) => {
                bytes.consume(sent);
                left.fetch_sub(sent, Ordering::Release);
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            // The descriptor was made non-blocking behind our back: libuv
            // does that to every descriptor it watches (uvloop's
            // `add_reader` on a polled link). Wait for room instead.
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => {
                wait_for(socket.as_raw_fd(), libc::POLLOUT)?;
            }
            Err(err) => return Err(err),
        }
    }
    Ok(())
}

/// Blocks until `fd` is ready for `events` (or has failed: the next send
/// or receive reports how).
fn wait_for(fd: RawFd, events: libc::c_short) -> io::Result<()> {
    let mut watched = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    // SAFETY: `watched` is one valid pollfd that outlives the call, and the
    // count passed is 1.
    if unsafe { libc::poll(&mut watched, 1, -1) } < 0 {
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::encode_into;
    use std::os::unix::net::UnixStream;
    use std::sync::mpsc;

    fn pair() -> (Link, mpsc::Receiver<Event>, Link, mpsc::Receiver<Event>) {
        let (a, b) = UnixStream::pair().unwrap();
        let (tx_a, rx_a) = mpsc::channel();
        let (tx_b, rx_b) = mpsc::channel();
        let a = Link::new(OwnedFd::from(a), "a", move |e| {
            let _ = tx_a.send(e);
        })
        .unwrap();
        let b = Link::new(OwnedFd::from(b), "b", move |e| {
            let _ = tx_b.send(e);
        })
        .unwrap();
        (a, rx_a, b, rx_b)
    }

    fn collect_frames(rx: &mpsc::Receiver<Event>, count: usize) -> Vec<Frame> {
        let mut frames = Vec::new();
        while frames.len() < count {
            match rx
                .recv_timeout(Duration::from_secs(10))
                .expect("frames arrive")
            {
                Event::Frames(batch) => frames.extend(batch),
                Event::Ended(end) => panic!("ended early: {end:?}"),
            }
        }
        frames
    }

    #[test]
    fn frames_cross_in_order_both_ways() {
        let (a, rx_a, b, rx_b) = pair();
        for id in 0..1000u64 {
            a.send(|out| encode_into(out.copied(), 1, id, &id.to_le_bytes()))
                .unwrap();
            b.send(|out| encode_into(out.copied(), 2, id, b"")).unwrap();
        }
        let at_b = collect_frames(&rx_b, 1000);
        let at_a = collect_frames(&rx_a, 1000);
        assert!(at_b
            .iter()
            .enumerate()
            .all(|(i, f)| f.id == i as u64 && f.kind == 1));
        assert!(at_a
            .iter()
            .enumerate()
            .all(|(i, f)| f.id == i as u64 && f.kind == 2));
    }

    #[test]
    fn partial_writes_keep_every_byte_in_place() {
        // Frames larger than the socket buffer, each with its own bytes,
        // sent while the peer reads: the fast path writes part of each,
        // the writer thread the rest, and the buffer is reused between
        // batches. Every payload must arrive whole and unshifted.
        let (a, _rx_a, _b, rx_b) = pair();
        let payload = |id: u64| -> Vec<u8> {
            (0..(300_000 + id as usize * 7_919))
                .map(|i| (i as u64 * 31 + id) as u8)
                .collect()
        };
        for round in 0..3u64 {
            for id in round * 10..round * 10 + 10 {
                a.send(|out| encode_into(out.copied(), 4, id, &payload(id)))
                    .unwrap();
            }
            assert!(a.flush(Duration::from_secs(10)));
        }
        let frames = collect_frames(&rx_b, 30);
        for (i, frame) in frames.iter().enumerate() {
            assert_eq!(frame.id, i as u64);
            assert!(
                frame.payload == payload(i as u64),
                "frame {i} arrived changed"
            );
        }
    }

    #[test]
    fn lent_pieces_cross_whole_between_copied_headers() {
        // Headers copied, payloads lent, each larger than the socket
        // buffer: the fast path stops inside a lent piece and the writer
        // thread resumes from that offset.
        use crate::frame::encode_header_into;
        let (a, _rx_a, _b, rx_b) = pair();
        let payload = |id: u64| -> Vec<u8> {
            (0..(250_000 + id as usize * 4_099))
                .map(|i| (i as u64 * 17 + id) as u8)
                .collect()
        };
        for id in 0..12u64 {
            let body = payload(id);
            a.send(|out| {
                encode_header_into(out.copied(), 9, id, body.len() + 1)?;
                out.lend(Box::new(body));
                out.copied().push(b'!');
                Ok(())
            })
            .unwrap();
        }
        assert!(a.flush(Duration::from_secs(10)));
        assert_eq!(a.unsent(), 0);
        let frames = collect_frames(&rx_b, 12);
        for (i, frame) in frames.iter().enumerate() {
            let mut expected = payload(i as u64);
            expected.push(b'!');
            assert_eq!(frame.id, i as u64);
            assert!(frame.payload == expected, "frame {i} arrived changed");
        }
    }

    #[test]
    fn large_writes_never_block_the_sender() {
        // Nobody reads the peer yet: 64 MiB cannot fit the socket buffer, so
        // the writer thread must take over and `send` must still return.
        let (a, b) = UnixStream::pair().unwrap();
        let (tx_a, _rx_a) = mpsc::channel();
        let a = Link::new(OwnedFd::from(a), "a", move |e| {
            let _ = tx_a.send(e);
        })
        .unwrap();
        let payload = vec![7u8; 1 << 20];
        let started = Instant::now();
        for id in 0..64u64 {
            a.send(|out| encode_into(out.copied(), 3, id, &payload))
                .unwrap();
        }
        assert!(started.elapsed() < Duration::from_secs(5));
        assert!(a.unsent() > 0, "the unread peer cannot have taken 64 MiB");
        // Now the peer starts reading: everything arrives, in order.
        let (tx_b, rx_b) = mpsc::channel();
        let _b = Link::new(OwnedFd::from(b), "b", move |e| {
            let _ = tx_b.send(e);
        })
        .unwrap();
        let frames = collect_frames(&rx_b, 64);
        assert!(frames
            .iter()
            .enumerate()
            .all(|(i, f)| f.id == i as u64 && f.payload.len() == 1 << 20));
        assert!(a.flush(Duration::from_secs(10)));
    }

    #[test]
    fn bytes_the_writer_thread_holds_still_count_as_unsent() {
        // One frame far larger than the socket buffer: the fast path writes
        // what fits, the writer thread takes the rest out of the queue and
        // blocks. Those bytes are not on the socket yet, so `unsent` (and
        // `flush`) must still see them.
        let (a, b) = UnixStream::pair().unwrap();
        let (tx_a, _rx_a) = mpsc::channel();
        let a = Link::new(OwnedFd::from(a), "a", move |e| {
            let _ = tx_a.send(e);
        })
        .unwrap();
        let payload = vec![9u8; 8 << 20];
        a.send(|out| encode_into(out.copied(), 3, 0, &payload))
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let out = a.shared.lock_out();
            if out.writing && out.buf.is_empty() {
                break;
            }
            drop(out);
            assert!(Instant::now() < deadline, "the writer never took the queue");
            thread::sleep(Duration::from_millis(1));
        }
        let held = a.unsent();
        assert!(held > 0, "the writer's bytes were not counted");
        assert!(
            held < payload.len() + 64,
            "more counted than was sent: {held}"
        );
        assert!(
            !a.flush(Duration::from_millis(20)),
            "flushed with the peer unread"
        );
        let (tx_b, rx_b) = mpsc::channel();
        let _b = Link::new(OwnedFd::from(b), "b", move |e| {
            let _ = tx_b.send(e);
        })
        .unwrap();
        let frames = collect_frames(&rx_b, 1);
        assert_eq!(frames[0].payload.len(), payload.len());
        assert!(a.flush(Duration::from_secs(10)));
        assert_eq!(a.unsent(), 0);
    }

    #[test]
    fn peer_going_away_ends_the_reader_and_breaks_sends() {
        let (a, rx_a, b, _rx_b) = pair();
        drop(b);
        match rx_a.recv_timeout(Duration::from_secs(10)).unwrap() {
            Event::Ended(End::Closed) => {}
            other => panic!("expected Ended(Closed), got {other:?}"),
        }
        // The first send may still be buffered by the kernel; a later one fails.
        let mut broke = false;
        for id in 0..100 {
            if a.send(|out| encode_into(out.copied(), 1, id, &[0; 4096]))
                .is_err()
            {
                broke = true;
                break;
            }
            thread::sleep(Duration::from_millis(1));
        }
        assert!(broke, "sends to a closed peer must fail");
    }

    #[test]
    fn shutdown_ends_own_reader_and_refuses_sends() {
        let (a, rx_a, _b, _rx_b) = pair();
        a.shutdown();
        assert!(matches!(
            rx_a.recv_timeout(Duration::from_secs(10)).unwrap(),
            Event::Ended(End::Closed)
        ));
        assert!(matches!(
            a.send(|out| encode_into(out.copied(), 1, 1, b"x")),
            Err(SendError::Closed)
        ));
    }

    /// Reads a polled link until `count` frames arrived (the test stands in
    /// for the event loop: it waits for readability with poll(2)).
    fn poll_frames(link: &Link, count: usize) -> (Vec<Frame>, Option<End>) {
        let mut frames = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(10);
        while frames.len() < count && Instant::now() < deadline {
            wait_readable(link.raw_fd());
            let received = link.read_ready().expect("a polled link");
            frames.extend(received.frames);
            if received.end.is_some() {
                return (frames, received.end);
            }
        }
        (frames, None)
    }

    fn wait_readable(fd: RawFd) {
        let mut watched = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd, for the duration of the call.
        unsafe { libc::poll(&mut watched, 1, 1000) };
    }

    #[test]
    fn a_polled_link_reads_on_the_callers_thread() {
        let (a, b) = UnixStream::pair().unwrap();
        let (tx_a, rx_a) = mpsc::channel();
        let a = Link::new(OwnedFd::from(a), "a", move |e| {
            let _ = tx_a.send(e);
        })
        .unwrap();
        let b = Link::polled(OwnedFd::from(b), "b").unwrap();
        assert!(b.is_polled() && !a.is_polled());
        assert!(
            a.read_ready().is_none(),
            "a threaded link has no caller reads"
        );
        // Nothing sent yet: a read finds nothing and does not wait.
        let nothing = b.read_ready().unwrap();
        assert!(nothing.frames.is_empty() && nothing.end.is_none());
        // Small frames and ones larger than the socket buffer, in order.
        let payload = |id: u64| vec![id as u8; if id.is_multiple_of(3) { 200_000 } else { 10 }];
        for id in 0..30u64 {
            a.send(|out| encode_into(out.copied(), 5, id, &payload(id)))
                .unwrap();
        }
        let (frames, end) = poll_frames(&b, 30);
        assert!(end.is_none());
        assert_eq!(frames.len(), 30);
        for (i, frame) in frames.iter().enumerate() {
            assert_eq!((frame.kind, frame.id), (5, i as u64));
            assert!(frame.payload == payload(i as u64));
        }
        // Answers go back through the same link.
        b.send(|out| encode_into(out.copied(), 6, 99, b"back"))
            .unwrap();
        assert_eq!(collect_frames(&rx_a, 1)[0].payload, b"back");
        // The peer leaves: frames sent before it left still arrive, then
        // the end; later reads keep reporting it.
        a.send(|out| encode_into(out.copied(), 7, 1, b"last"))
            .unwrap();
        assert!(a.flush(Duration::from_secs(10)));
        drop(a);
        let (frames, end) = poll_frames(&b, usize::MAX);
        assert_eq!(frames.len(), 1);
        assert!(matches!(end, Some(End::Closed)));
        assert!(matches!(b.read_ready().unwrap().end, Some(End::Closed)));
    }

    #[test]
    fn a_polled_link_reports_garbage_and_its_own_shutdown() {
        use std::io::Write;
        let (mut raw, b) = UnixStream::pair().unwrap();
        let b = Link::polled(OwnedFd::from(b), "b").unwrap();
        // A length too short to hold a header can never be a frame.
        raw.write_all(&[1, 0, 0, 0, 9]).unwrap();
        let (_, end) = poll_frames(&b, usize::MAX);
        assert!(matches!(end, Some(End::Failed(ref e)) if e.kind() == io::ErrorKind::InvalidData));

        let (_raw, c) = UnixStream::pair().unwrap();
        let c = Link::polled(OwnedFd::from(c), "c").unwrap();
        c.shutdown();
        let (_, end) = poll_frames(&c, usize::MAX);
        assert!(matches!(end, Some(End::Closed)));
    }

    #[test]
    fn a_descriptor_made_non_blocking_behind_the_links_back_still_works() {
        // libuv (uvloop's add_reader) sets O_NONBLOCK on what it watches:
        // the writer thread then got EAGAIN and dropped the rest of a large
        // frame as if the peer had gone, and the reader thread stopped.
        let (a, rx_a, b, rx_b) = pair();
        a.shared.socket.set_nonblocking(true).unwrap();
        b.shared.socket.set_nonblocking(true).unwrap();
        let payload = vec![9u8; 8 << 20];
        a.send(|out| encode_into(out.copied(), 1, 1, &payload))
            .unwrap();
        let frames = collect_frames(&rx_b, 1);
        assert!(frames[0].payload == payload);
        b.send(|out| encode_into(out.copied(), 2, 2, &payload))
            .unwrap();
        assert!(collect_frames(&rx_a, 1)[0].payload == payload);
        assert!(a.flush(Duration::from_secs(10)) && b.flush(Duration::from_secs(10)));
    }
}
