//! Length-prefixed frames: the whole wire format between a pool and its
//! children.
//!
//! A frame is `u32 length | u8 kind | u64 id | payload`, little endian, where
//! `length` counts everything after itself. What `kind` and `id` mean is up
//! to the Python layer (tasks, results, cancellations); this module only cuts
//! the byte stream into frames.

use std::any::Any;
use std::fmt;
use std::io::{self, Read};

/// Bytes before the payload: length, kind and id.
pub const HEADER_LEN: usize = 4 + 1 + 8;
/// The largest payload one frame can carry (the length field is 32 bits).
pub const MAX_PAYLOAD: usize = u32::MAX as usize - (HEADER_LEN - 4);

/// One message on a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub kind: u8,
    pub id: u64,
    pub payload: Vec<u8>,
}

/// A payload over [`MAX_PAYLOAD`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooLarge(pub usize);

impl fmt::Display for TooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a payload of {} bytes exceeds the {} byte frame limit",
            self.0, MAX_PAYLOAD
        )
    }
}

impl std::error::Error for TooLarge {}

/// A length field too small to hold a frame's kind and id: the stream is
/// not frames (a corrupted or foreign writer), and cannot be resynchronised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed(pub usize);

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "malformed frame: a length of {} bytes cannot hold the {}-byte kind and id",
            self.0,
            HEADER_LEN - 4
        )
    }
}

impl std::error::Error for Malformed {}

/// At most this much buffer is reserved ahead of a frame's bytes arriving,
/// whatever its length field claims (a frame past it grows as it arrives).
const MAX_RESERVE: usize = 1024 * 1024;

/// Appends one encoded frame to `out`.
pub fn encode_into(out: &mut Vec<u8>, kind: u8, id: u64, payload: &[u8]) -> Result<(), TooLarge> {
    encode_pieces_into(out, kind, id, std::iter::once(payload))
}

/// Appends one encoded frame whose payload is `pieces` back to back.
pub fn encode_pieces_into<'a>(
    out: &mut Vec<u8>,
    kind: u8,
    id: u64,
    pieces: impl Iterator<Item = &'a [u8]> + Clone,
) -> Result<(), TooLarge> {
    let len = pieces
        .clone()
        .fold(0usize, |sum, piece| sum.saturating_add(piece.len()));
    out.reserve(HEADER_LEN.saturating_add(len));
    encode_header_into(out, kind, id, len)?;
    for piece in pieces {
        out.extend_from_slice(piece);
    }
    Ok(())
}

/// Appends the header of a frame whose `len` payload bytes the caller
/// sends right after it.
pub fn encode_header_into(
    out: &mut Vec<u8>,
    kind: u8,
    id: u64,
    len: usize,
) -> Result<(), TooLarge> {
    let too_large = TooLarge(len);
    if len > MAX_PAYLOAD {
        return Err(too_large);
    }
    let length = u32::try_from(len + HEADER_LEN - 4).map_err(|_| too_large)?;
    out.extend_from_slice(&length.to_le_bytes());
    out.push(kind);
    out.extend_from_slice(&id.to_le_bytes());
    Ok(())
}

/// A decoded frame whose payload is still in the decoder's buffer.
#[derive(Debug, Clone, Copy)]
pub struct FrameView<'a> {
    pub kind: u8,
    pub id: u64,
    pub payload: &'a [u8],
}

/// Storage of its own that a large frame's payload is read into as it
/// arrives ([`Decoder::read_into_sinks_from`]), instead of through the
/// decoder's buffer and a copy out of it once complete.
pub trait PayloadSink: Send {
    /// Every byte of the payload; the decoder fills them in order.
    fn bytes_mut(&mut self) -> &mut [u8];
    /// The sink as `Any`, for its maker to take its own type back.
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
}

/// A frame whose payload was read into a [`PayloadSink`].
pub struct WholeFrame {
    pub kind: u8,
    pub id: u64,
    pub payload: Box<dyn PayloadSink>,
}

/// A payload read into a sink that is not full yet.
struct Filling {
    kind: u8,
    id: u64,
    sink: Box<dyn PayloadSink>,
    len: usize,
    filled: usize,
}

/// The largest payload given a sink of its own: a sink holds the whole
/// payload before its bytes arrive, so a corrupt length field may cost this
/// much at most (larger frames grow the decoder's buffer as they arrive).
pub const SINK_AT_MOST: usize = 256 * 1024 * 1024;

/// Reassembles frames from a byte stream read in arbitrary pieces.
#[derive(Default)]
pub struct Decoder {
    /// Room for reading, zero-filled once: `buf[start..end]` are bytes
    /// received and not yet decoded; `buf[end..]` is free space, kept so
    /// that reading the rest of a large frame does not zero it again per
    /// read (resizing per read zeroed up to the whole frame every time).
    buf: Vec<u8>,
    /// Where the first undecoded byte is; bytes before it are consumed.
    start: usize,
    /// Where the received bytes end.
    end: usize,
    /// The frame being read into a sink of its own, if any: while it is,
    /// `buf` holds nothing undecoded (reads stop at the payload's end).
    filling: Option<Filling>,
}

/// How much a single read asks for at least.
pub const READ_AT_LEAST: usize = 64 * 1024;

/// Buffer room kept between frames (more is given back once drained).
const KEEP_ROOM: usize = 4 * 1024 * 1024;

impl Decoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads once from `source` (blocking as it does) into the buffer.
    /// Returns the number of bytes read; 0 means end of stream.
    pub fn read_from(&mut self, source: &mut impl Read) -> io::Result<usize> {
        self.compact();
        // Room for the rest of a large frame in one read, else a fixed chunk.
        let missing = self
            .pending_frame_len()
            .map_or(0, |frame| frame.saturating_sub(self.end));
        self.make_room(missing.clamp(READ_AT_LEAST, MAX_RESERVE));
        let read = source.read(&mut self.buf[self.end..])?;
        self.end += read;
        Ok(read)
    }

    /// [`Decoder::read_from`], except that a frame whose payload has
    /// `at_least` bytes (up to [`SINK_AT_MOST`]) is read into the sink
    /// `sink_for(len)` gives for it (None: through the buffer after all).
    /// Take it with [`Decoder::take_whole`] once complete.
    pub fn read_into_sinks_from(
        &mut self,
        source: &mut impl Read,
        at_least: usize,
        sink_for: &mut dyn FnMut(usize) -> Option<Box<dyn PayloadSink>>,
    ) -> io::Result<usize> {
        if self.filling.is_none() {
            self.start_filling(at_least, sink_for);
        }
        // A full sink not taken yet: later bytes wait in the buffer (an
        // empty read would look like the end of the stream).
        let Some(filling) = self.filling.as_mut().filter(|f| f.filled < f.len) else {
            return self.read_from(source);
        };
        let room = filling
            .sink
            .bytes_mut()
            .get_mut(filling.filled..filling.len)
            .unwrap_or_default();
        let read = source.read(room)?;
        filling.filled += read;
        Ok(read)
    }

    /// Moves the next frame into a sink if it qualifies: its header is in,
    /// its payload is not, and it is within the sizes sinks are for.
    fn start_filling(
        &mut self,
        at_least: usize,
        sink_for: &mut dyn FnMut(usize) -> Option<Box<dyn PayloadSink>>,
    ) {
        let Some(body_len) = self.body_len() else {
            return;
        };
        // A malformed length is left for `next_frame_in_place` to report.
        let Some(len) = body_len.checked_sub(HEADER_LEN - 4) else {
            return;
        };
        let header_end = self.start + HEADER_LEN;
        if len < at_least || len > SINK_AT_MOST || self.end < header_end {
            return;
        }
        let received = &self.buf[header_end..self.end];
        if received.len() >= len {
            return;
        }
        let Some(mut sink) = sink_for(len) else {
            return;
        };
        if sink.bytes_mut().len() != len {
            return;
        }
        sink.bytes_mut()[..received.len()].copy_from_slice(received);
        let (Some(&kind), Some(id)) = (
            self.buf.get(self.start + 4),
            self.buf
                .get(self.start + 5..header_end)
                .and_then(<[u8]>::first_chunk),
        ) else {
            return;
        };
        self.filling = Some(Filling {
            kind,
            id: u64::from_le_bytes(*id),
            sink,
            len,
            filled: received.len(),
        });
        self.start = self.end;
    }

    /// The frame read into a sink, once all of its payload has arrived.
    pub fn take_whole(&mut self) -> Option<WholeFrame> {
        let filling = self.filling.take_if(|f| f.filled == f.len)?;
        Some(WholeFrame {
            kind: filling.kind,
            id: filling.id,
            payload: filling.sink,
        })
    }

    /// Adds bytes received some other way.
    pub fn feed(&mut self, mut data: &[u8]) {
        if let Some(filling) = self.filling.as_mut() {
            let room = filling
                .sink
                .bytes_mut()
                .get_mut(filling.filled..filling.len)
                .unwrap_or_default();
            let take = room.len().min(data.len());
            let (into_sink, rest) = data.split_at(take);
            room[..take].copy_from_slice(into_sink);
            filling.filled += take;
            data = rest;
        }
        self.compact();
        self.make_room(data.len());
        self.buf[self.end..self.end + data.len()].copy_from_slice(data);
        self.end += data.len();
    }

    /// At least `room` free bytes after the received ones.
    fn make_room(&mut self, room: usize) {
        let wanted = self.end + room;
        if self.buf.len() < wanted {
            self.buf.resize(wanted, 0);
        }
    }

    /// The next complete frame, if the buffer holds one; an error if the
    /// bytes cannot be a frame.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, Malformed> {
        Ok(self.next_frame_in_place()?.map(|frame| Frame {
            kind: frame.kind,
            id: frame.id,
            payload: frame.payload.to_vec(),
        }))
    }

    /// [`Decoder::next_frame`] without copying the payload out of the
    /// buffer: a caller that converts it anyway (into a Python `bytes`)
    /// saves a copy and a buffer the size of the frame.
    pub fn next_frame_in_place(&mut self) -> Result<Option<FrameView<'_>>, Malformed> {
        let Some(body_len) = self.body_len() else {
            return Ok(None);
        };
        if body_len < HEADER_LEN - 4 {
            return Err(Malformed(body_len));
        }
        let available = self.end - self.start;
        if available < 4 + body_len {
            return Ok(None);
        }
        let at = self.start + 4;
        self.start += 4 + body_len;
        let body = &self.buf[at..at + body_len];
        // body_len >= 9 (checked above): the kind byte and the 8-byte id.
        let (Some(&kind), Some(id)) = (body.first(), body.get(1..).and_then(<[u8]>::first_chunk))
        else {
            return Err(Malformed(body_len));
        };
        Ok(Some(FrameView {
            kind,
            id: u64::from_le_bytes(*id),
            payload: &body[9..],
        }))
    }

    /// Every complete frame in the buffer, and the error that stopped the
    /// cutting, if the bytes after them cannot be a frame.
    pub fn drain_frames(&mut self) -> (Vec<Frame>, Option<Malformed>) {
        let mut frames = Vec::new();
        loop {
            match self.next_frame() {
                Ok(Some(frame)) => frames.push(frame),
                Ok(None) => return (frames, None),
                Err(err) => return (frames, Some(err)),
            }
        }
    }

    /// Bytes received but not yet returned as frames.
    pub fn buffered(&self) -> usize {
        let filled = self.filling.as_ref().map_or(0, |f| HEADER_LEN + f.filled);
        self.end - self.start + filled
    }

    fn body_len(&self) -> Option<usize> {
        if self.end - self.start < 4 {
            return None;
        }
        let header = self.buf.get(self.start..)?.first_chunk::<4>()?;
        Some(u32::from_le_bytes(*header) as usize)
    }

    /// The full size of the frame being received, once its length is known.
    fn pending_frame_len(&self) -> Option<usize> {
        self.body_len().map(|body| body + 4)
    }

    fn compact(&mut self) {
        if self.start == 0 {
            return;
        }
        self.buf.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
        // After a very large frame, give the room back; up to KEEP_ROOM stays,
        // so a stream of large batches does not grow (and fault in) a new
        // buffer for each.
        if self.end == 0 && self.buf.len() > KEEP_ROOM {
            self.buf = Vec::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_length_too_short_for_a_header_is_an_error_not_a_panic() {
        for length in 0u32..9 {
            let mut decoder = Decoder::new();
            let mut bytes = encode(1, 7, b"ok");
            bytes.extend_from_slice(&length.to_le_bytes());
            bytes.extend_from_slice(&[0; 16]);
            decoder.feed(&bytes);
            let (frames, error) = decoder.drain_frames();
            assert_eq!(frames.len(), 1);
            assert_eq!(error, Some(Malformed(length as usize)));
        }
    }

    #[test]
    fn a_huge_claimed_length_reserves_a_bounded_buffer() {
        let mut decoder = Decoder::new();
        let mut source: &[u8] = &[0xff, 0xff, 0xff, 0xff, 1, 2, 3];
        assert_eq!(decoder.read_from(&mut source).unwrap(), 7);
        assert!(decoder.buf.capacity() <= MAX_RESERVE + 64);
        assert_eq!(decoder.next_frame(), Ok(None));
    }

    fn encode(kind: u8, id: u64, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        encode_into(&mut out, kind, id, payload).unwrap();
        out
    }

    #[test]
    fn round_trip_byte_by_byte() {
        let mut stream = encode(1, 7, b"hello");
        stream.extend(encode(2, u64::MAX, b""));
        stream.extend(encode(3, 0, &[0xAB; 1000]));
        let mut decoder = Decoder::new();
        let mut frames = Vec::new();
        for byte in &stream {
            decoder.feed(std::slice::from_ref(byte));
            frames.extend(decoder.drain_frames().0);
        }
        assert_eq!(decoder.buffered(), 0);
        assert_eq!(
            frames,
            vec![
                Frame {
                    kind: 1,
                    id: 7,
                    payload: b"hello".to_vec()
                },
                Frame {
                    kind: 2,
                    id: u64::MAX,
                    payload: vec![]
                },
                Frame {
                    kind: 3,
                    id: 0,
                    payload: vec![0xAB; 1000]
                },
            ]
        );
    }

    #[test]
    fn large_frame_through_reads() {
        let payload: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
        let stream = encode(9, 42, &payload);
        let mut source = io::Cursor::new(stream);
        let mut decoder = Decoder::new();
        let mut frames = Vec::new();
        while decoder.read_from(&mut source).unwrap() > 0 {
            frames.extend(decoder.drain_frames().0);
        }
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].payload, payload);
    }

    /// A payload sink over a `Vec`, counting how many were made.
    struct VecSink(Vec<u8>);

    impl PayloadSink for VecSink {
        fn bytes_mut(&mut self) -> &mut [u8] {
            &mut self.0
        }
        fn into_any(self: Box<Self>) -> Box<dyn Any> {
            self
        }
    }

    /// A stream handing out at most a varying number of bytes per read, as
    /// a socket does.
    struct Dribble {
        data: Vec<u8>,
        at: usize,
        step: usize,
    }

    impl Read for Dribble {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.step = (self.step * 7 + 3) % 97_331 + 1;
            let n = self.step.min(buf.len()).min(self.data.len() - self.at);
            buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    /// Every frame `decoder` yields from `source`, reading large payloads
    /// into sinks of `at_least` bytes or more; and how many sinks it made.
    fn read_with_sinks(
        decoder: &mut Decoder,
        source: &mut impl Read,
        at_least: usize,
    ) -> (Vec<Frame>, usize) {
        let mut frames = Vec::new();
        let mut sinks = 0;
        let mut sink_for = |len: usize| -> Option<Box<dyn PayloadSink>> {
            sinks += 1;
            Some(Box::new(VecSink(vec![0; len])))
        };
        loop {
            let read = decoder
                .read_into_sinks_from(source, at_least, &mut sink_for)
                .unwrap();
            if let Some(whole) = decoder.take_whole() {
                let sink = whole.payload.into_any().downcast::<VecSink>().unwrap();
                frames.push(Frame {
                    kind: whole.kind,
                    id: whole.id,
                    payload: sink.0,
                });
            }
            frames.extend(decoder.drain_frames().0);
            if read == 0 {
                return (frames, sinks);
            }
        }
    }

    fn mixed_frames() -> Vec<Frame> {
        [0usize, 10, 300_000, 5, 1_000_000, 70_000, 3, 2_500_000, 0]
            .iter()
            .enumerate()
            .map(|(i, &len)| Frame {
                kind: i as u8,
                id: 1000 + i as u64,
                payload: (0..len).map(|b| (b * 31 + i) as u8).collect(),
            })
            .collect()
    }

    #[test]
    fn large_payloads_read_into_sinks_arrive_whole_and_in_order() {
        let sent = mixed_frames();
        let mut stream = Vec::new();
        for f in &sent {
            encode_into(&mut stream, f.kind, f.id, &f.payload).unwrap();
        }
        for at_least in [1, 64 * 1024, 1_000_000, usize::MAX] {
            let mut source = Dribble {
                data: stream.clone(),
                at: 0,
                step: at_least % 13,
            };
            let mut decoder = Decoder::new();
            let (received, sinks) = read_with_sinks(&mut decoder, &mut source, at_least);
            assert_eq!(received, sent, "at_least={at_least}");
            assert_eq!(decoder.buffered(), 0);
            let large = sent.iter().filter(|f| f.payload.len() >= at_least).count();
            // A frame whose payload came with its header needs no sink.
            assert!(sinks <= large, "{sinks} sinks for {large} large frames");
            if at_least == 64 * 1024 {
                assert!(sinks >= 3, "the megabyte frames went through sinks");
            }
        }
    }

    #[test]
    fn a_refused_sink_or_a_huge_length_reads_through_the_buffer() {
        let mut stream = Vec::new();
        encode_into(&mut stream, 1, 2, &[7; 200_000]).unwrap();
        let mut decoder = Decoder::new();
        let mut source = io::Cursor::new(stream);
        let mut frames = Vec::new();
        while decoder
            .read_into_sinks_from(&mut source, 1, &mut |_| None)
            .unwrap()
            > 0
        {
            assert!(decoder.take_whole().is_none());
            frames.extend(decoder.drain_frames().0);
        }
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].payload, vec![7; 200_000]);

        let mut asked = false;
        let mut decoder = Decoder::new();
        let mut source: &[u8] = &[0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        decoder
            .read_into_sinks_from(&mut source, 1, &mut |_| {
                asked = true;
                None
            })
            .unwrap();
        decoder
            .read_into_sinks_from(&mut source, 1, &mut |_| {
                asked = true;
                None
            })
            .unwrap();
        assert!(!asked, "a 4 GiB claim must not be given a sink");
        assert!(decoder.buf.capacity() <= MAX_RESERVE + 64);
    }

    #[test]
    fn fed_bytes_go_to_the_sink_being_filled_then_to_the_buffer() {
        let mut stream = Vec::new();
        encode_into(&mut stream, 4, 5, &[9; 100_000]).unwrap();
        encode_into(&mut stream, 6, 7, b"next").unwrap();
        let mut decoder = Decoder::new();
        let mut source: &[u8] = &stream[..50_000];
        // The first read brings the header; the next moves the frame to a sink.
        for _ in 0..2 {
            decoder
                .read_into_sinks_from(&mut source, 1024, &mut |len| {
                    Some(Box::new(VecSink(vec![0; len])))
                })
                .unwrap();
        }
        assert!(decoder.filling.is_some());
        assert_eq!(decoder.buffered(), 50_000);
        decoder.feed(&stream[50_000..]);
        let whole = decoder.take_whole().expect("the large frame is complete");
        assert_eq!((whole.kind, whole.id), (4, 5));
        let sink = whole.payload.into_any().downcast::<VecSink>().unwrap();
        assert_eq!(sink.0, vec![9; 100_000]);
        assert_eq!(decoder.next_frame().unwrap().unwrap().payload, b"next");
    }

    #[test]
    fn a_malformed_length_is_still_reported_with_sinks() {
        let mut decoder = Decoder::new();
        let mut source: &[u8] = &[3, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8];
        decoder
            .read_into_sinks_from(&mut source, 1, &mut |len| {
                Some(Box::new(VecSink(vec![0; len])))
            })
            .unwrap();
        assert!(decoder.take_whole().is_none());
        assert_eq!(decoder.next_frame(), Err(Malformed(3)));
    }

    #[test]
    fn incomplete_frame_waits() {
        let stream = encode(1, 1, b"abcdef");
        let mut decoder = Decoder::new();
        decoder.feed(&stream[..stream.len() - 1]);
        assert_eq!(decoder.next_frame(), Ok(None));
        decoder.feed(&stream[stream.len() - 1..]);
        assert_eq!(decoder.next_frame().unwrap().unwrap().payload, b"abcdef");
    }

    #[test]
    fn too_large_is_refused_without_writing() {
        let err = TooLarge(MAX_PAYLOAD + 1);
        assert!(err.to_string().contains("frame limit"));
        let mut out = vec![1, 2];
        // A real oversized slice would need 4 GiB; check the bound itself.
        assert!(encode_into(&mut out, 0, 0, &[]).is_ok());
        assert_eq!(out.len(), 2 + HEADER_LEN);
    }
}
