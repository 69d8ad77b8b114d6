//! Fuzz target `ops`: a byte string becomes a sequence of operations on an
//! `Observable` and on a sequential reference model; after every step they
//! must agree. The harness lives in `src/ops.rs`, shared with `tests/model.rs`.
#![no_main]

#[path = "../src/ops.rs"]
mod ops;

libfuzzer_sys::fuzz_target!(|data: &[u8]| ops::run(data));
