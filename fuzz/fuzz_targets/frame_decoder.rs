//! The pool's frame decoder on arbitrary bytes, fed in arbitrary pieces.
//!
//! Whatever arrives (a child writing garbage, a stream cut anywhere), the
//! decoder never panics or allocates without bound; the frames it returns
//! are exactly the well-formed prefix of the stream, however it was split;
//! and once it reports a malformed frame it has returned every frame before
//! it. Re-encoding what it returned gives back that prefix byte for byte.
//! Reading payloads into sinks of their own (the polled link's path) gives
//! the same frames as reading them through the buffer.
#![no_main]

use std::any::Any;

use aioxide_pool::frame::{encode_into, Decoder, Frame, PayloadSink};
use libfuzzer_sys::fuzz_target;

/// Cuts `data` into pieces: its first byte picks the piece sizes.
fn pieces(data: &[u8]) -> (u8, &[u8]) {
    match data.split_first() {
        Some((seed, rest)) => (*seed, rest),
        None => (0, data),
    }
}

struct VecSink(Vec<u8>);

impl PayloadSink for VecSink {
    fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.0
    }
    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

/// The stream in pieces of `step` bytes through `read_into_sinks_from`,
/// payloads of `at_least` bytes or more going to sinks.
fn decode_into_sinks(stream: &[u8], step: usize, at_least: usize) -> (Vec<Frame>, bool) {
    let mut decoder = Decoder::new();
    let mut frames = Vec::new();
    let mut sink_for = |len: usize| -> Option<Box<dyn PayloadSink>> {
        Some(Box::new(VecSink(vec![0; len])))
    };
    for chunk in stream.chunks(step) {
        let mut source = chunk;
        while !source.is_empty() {
            decoder
                .read_into_sinks_from(&mut source, at_least, &mut sink_for)
                .expect("reading a slice cannot fail");
            if let Some(whole) = decoder.take_whole() {
                let sink = whole.payload.into_any().downcast::<VecSink>().expect("ours");
                frames.push(Frame {
                    kind: whole.kind,
                    id: whole.id,
                    payload: sink.0,
                });
            }
            let (more, bad) = decoder.drain_frames();
            frames.extend(more);
            if bad.is_some() {
                return (frames, true);
            }
        }
    }
    (frames, false)
}

fn decode_whole(stream: &[u8]) -> (Vec<Frame>, bool) {
    let mut decoder = Decoder::new();
    decoder.feed(stream);
    let (frames, malformed) = decoder.drain_frames();
    (frames, malformed.is_some())
}

fuzz_target!(|data: &[u8]| {
    let (seed, stream) = pieces(data);
    let (whole, whole_malformed) = decode_whole(stream);

    // The same stream in pieces of 1..=seed%16+1 bytes, read through
    // read_from (the path the reader thread takes).
    let step = usize::from(seed % 16) + 1;
    let mut decoder = Decoder::new();
    let mut split = Vec::new();
    let mut malformed = false;
    for chunk in stream.chunks(step) {
        let mut source = chunk;
        while !source.is_empty() {
            decoder
                .read_from(&mut source)
                .expect("reading a slice cannot fail");
        }
        let (frames, bad) = decoder.drain_frames();
        split.extend(frames);
        if bad.is_some() {
            malformed = true;
            break;
        }
    }
    assert_eq!(split, whole, "frames depend on how the stream was split");
    assert_eq!(malformed, whole_malformed);

    let at_least = usize::from(seed >> 4);
    let (sunk, sunk_malformed) = decode_into_sinks(stream, step, at_least);
    assert_eq!(sunk, whole, "payloads read into sinks differ");
    assert_eq!(sunk_malformed, whole_malformed);

    let mut encoded = Vec::new();
    for frame in &whole {
        encode_into(&mut encoded, frame.kind, frame.id, &frame.payload).expect("fits");
    }
    assert_eq!(&stream[..encoded.len()], &encoded[..]);
});
