//! The bytes a link has accepted and not yet written: bytes it copied, and
//! pieces lent to it that are written from where they are.
//!
//! A pool sends batches of megabytes (a map over 10 KB arguments pickles
//! to 2.5 MB a batch). Copying each into one growing buffer cost a copy and
//! fresh pages per batch on both sides; a lent piece (a Python `bytes`, kept
//! alive by the link until written) costs neither. Small frames are still
//! copied: one write of many small frames beats a scatter list of them.

use std::collections::VecDeque;
use std::io::IoSlice;

/// Bytes lent to a link: kept alive until written, then dropped.
pub type Lent = Box<dyn AsRef<[u8]> + Send>;

enum Segment {
    Copied(Vec<u8>),
    Lent(Lent),
}

impl Segment {
    fn bytes(&self) -> &[u8] {
        match self {
            Self::Copied(bytes) => bytes,
            Self::Lent(piece) => piece.as_ref().as_ref(),
        }
    }
}

/// Where an outbox ended, to undo what an encoder added after it.
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    segments: usize,
    tail: usize,
}

/// Unsent bytes, oldest first: `segments`, then `tail`.
#[derive(Default)]
pub struct Outbox {
    segments: VecDeque<Segment>,
    /// Copied bytes after every segment: small frames accumulate here, and
    /// become a segment when a piece is lent after them.
    tail: Vec<u8>,
    /// Bytes of the first unsent segment (or of `tail`) already written.
    front_written: usize,
    /// A written buffer's room, kept for the next copied bytes: a fresh one
    /// grew (and its pages faulted in) again for every batch.
    spare: Vec<u8>,
}

/// The most slices one vectored write takes (Linux's `IOV_MAX` is 1024).
const SLICES_PER_WRITE: usize = 64;

impl Outbox {
    pub fn is_empty(&self) -> bool {
        self.segments.is_empty() && self.tail.is_empty()
    }

    /// Bytes not yet written.
    pub fn len(&self) -> usize {
        let lent: usize = self.segments.iter().map(|s| s.bytes().len()).sum();
        lent + self.tail.len() - self.front_written
    }

    /// The buffer to append copied bytes to (after everything queued).
    pub fn copied(&mut self) -> &mut Vec<u8> {
        if self.tail.capacity() == 0 {
            self.tail = std::mem::take(&mut self.spare);
        }
        &mut self.tail
    }

    /// Queues `piece` after everything queued, without copying it.
    pub fn lend(&mut self, piece: Lent) {
        if piece.as_ref().as_ref().is_empty() {
            return;
        }
        if !self.tail.is_empty() {
            let copied = std::mem::take(&mut self.tail);
            self.segments.push_back(Segment::Copied(copied));
        }
        self.segments.push_back(Segment::Lent(piece));
    }

    pub fn mark(&self) -> Mark {
        Mark {
            segments: self.segments.len(),
            tail: self.tail.len(),
        }
    }

    /// Drops what was queued after `mark` (nothing of it was written: only
    /// the link's writers write, and they hold the lock the queuer holds).
    pub fn truncate(&mut self, mark: Mark) {
        if self.segments.len() > mark.segments {
            // The tail at the mark became the segment right after it.
            let tail = match self.segments.get_mut(mark.segments) {
                Some(Segment::Copied(bytes)) if mark.tail > 0 => std::mem::take(bytes),
                _ => Vec::new(),
            };
            self.segments.truncate(mark.segments);
            self.tail = tail;
        }
        self.tail.truncate(mark.tail);
    }

    pub fn clear(&mut self) {
        self.segments.clear();
        self.tail.clear();
        self.front_written = 0;
    }

    /// The unsent bytes as at most [`SLICES_PER_WRITE`] slices, in order.
    pub fn io_slices(&self) -> Vec<IoSlice<'_>> {
        let tail = (!self.tail.is_empty()).then_some(self.tail.as_slice());
        self.segments
            .iter()
            .map(Segment::bytes)
            .chain(tail)
            .take(SLICES_PER_WRITE)
            .enumerate()
            .map(|(index, bytes)| {
                IoSlice::new(if index == 0 {
                    &bytes[self.front_written..]
                } else {
                    bytes
                })
            })
            .collect()
    }

    /// Forgets the first `written` unsent bytes (the socket took them).
    pub fn consume(&mut self, mut written: usize) {
        while let Some(front) = self.segments.front() {
            let left = front.bytes().len() - self.front_written;
            if written < left {
                self.front_written += written;
                return;
            }
            written -= left;
            self.front_written = 0;
            if let Some(Segment::Copied(bytes)) = self.segments.pop_front() {
                self.keep_room(bytes);
            }
        }
        self.front_written += written;
        if self.front_written >= self.tail.len() {
            self.front_written = 0;
            let tail = std::mem::take(&mut self.tail);
            self.keep_room(tail);
        }
    }

    fn keep_room(&mut self, mut bytes: Vec<u8>) {
        if bytes.capacity() > self.spare.capacity() {
            bytes.clear();
            self.spare = bytes;
        }
    }

    /// Moves every unsent byte out (to a writer that writes them without
    /// holding the lock); `self` keeps only its spare room.
    pub fn take(&mut self) -> Outbox {
        Outbox {
            segments: std::mem::take(&mut self.segments),
            tail: std::mem::take(&mut self.tail),
            front_written: std::mem::take(&mut self.front_written),
            spare: Vec::new(),
        }
    }

    /// Keeps the larger spare room of `written` (an outbox a writer took
    /// and emptied).
    pub fn recycle(&mut self, written: Outbox) {
        self.keep_room(written.spare);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unsent(outbox: &Outbox) -> Vec<u8> {
        outbox.io_slices().iter().flat_map(|s| s.to_vec()).collect()
    }

    #[test]
    fn copied_and_lent_bytes_come_out_in_order() {
        let mut outbox = Outbox::default();
        outbox.copied().extend_from_slice(b"ab");
        outbox.lend(Box::new(b"cd".to_vec()));
        outbox.lend(Box::new(Vec::<u8>::new())); // nothing to send: skipped
        outbox.copied().extend_from_slice(b"e");
        outbox.copied().extend_from_slice(b"f");
        assert_eq!(unsent(&outbox), b"abcdef");
        assert_eq!(outbox.len(), 6);
        assert_eq!(outbox.io_slices().len(), 3);
    }

    #[test]
    fn consuming_part_of_a_segment_keeps_the_rest_in_place() {
        let mut outbox = Outbox::default();
        outbox.copied().extend_from_slice(b"abc");
        outbox.lend(Box::new(b"defg".to_vec()));
        outbox.consume(1);
        assert_eq!(unsent(&outbox), b"bcdefg");
        outbox.consume(3);
        assert_eq!(unsent(&outbox), b"efg");
        assert_eq!(outbox.len(), 3);
        outbox.consume(3);
        assert!(outbox.is_empty());
        assert_eq!(outbox.len(), 0);
        // The written copied buffer's room is kept for the next bytes.
        assert!(outbox.spare.capacity() >= 3);
        outbox.copied().extend_from_slice(b"h");
        assert_eq!(unsent(&outbox), b"h");
    }

    #[test]
    fn truncate_undoes_what_came_after_the_mark() {
        let mut outbox = Outbox::default();
        outbox.copied().extend_from_slice(b"keep");
        let mark = outbox.mark();
        outbox.copied().extend_from_slice(b"drop");
        outbox.lend(Box::new(b"lent".to_vec()));
        outbox.copied().extend_from_slice(b"more");
        outbox.truncate(mark);
        assert_eq!(unsent(&outbox), b"keep");
        outbox.copied().extend_from_slice(b"!");
        assert_eq!(unsent(&outbox), b"keep!");
        // A mark on an empty outbox undoes everything.
        let mut outbox = Outbox::default();
        let mark = outbox.mark();
        outbox.lend(Box::new(b"lent".to_vec()));
        outbox.copied().extend_from_slice(b"x");
        outbox.truncate(mark);
        assert!(outbox.is_empty());
    }

    #[test]
    fn one_write_takes_a_bounded_number_of_slices() {
        let mut outbox = Outbox::default();
        for i in 0..200u8 {
            outbox.lend(Box::new(vec![i; 3]));
        }
        assert_eq!(outbox.io_slices().len(), SLICES_PER_WRITE);
        outbox.consume(3 * 199 + 1);
        assert_eq!(unsent(&outbox), vec![199; 2]);
    }

    #[test]
    fn take_moves_the_bytes_and_recycle_keeps_the_room() {
        let mut outbox = Outbox::default();
        outbox.copied().extend_from_slice(&[7; 1000]);
        let mut taken = outbox.take();
        assert!(outbox.is_empty());
        assert_eq!(taken.len(), 1000);
        taken.consume(1000);
        outbox.recycle(taken);
        assert!(outbox.spare.capacity() >= 1000);
    }
}
