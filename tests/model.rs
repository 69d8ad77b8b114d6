//! The fuzz harness `fuzz/src/ops.rs` (an `Observable` against a sequential
//! reference model, wakeups included), run on a fixed set of pseudo-random
//! inputs so `cargo test` and Miri exercise it without cargo-fuzz.

#[path = "../fuzz/src/ops.rs"]
mod ops;

#[test]
fn the_observable_agrees_with_the_sequential_model() {
    let cases = if cfg!(miri) { 40 } else { 3_000 };
    let mut seed = 0x9e37_79b9_u32;
    for case in 0..cases {
        let len = 1 + case % 200;
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                (seed >> 24) as u8
            })
            .collect();
        ops::run(&bytes);
    }
}

#[test]
#[cfg_attr(miri, ignore = "lists a directory, which Miri's isolation forbids")]
fn the_committed_seed_corpus_passes() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/ops");
    for entry in std::fs::read_dir(dir).expect("fuzz/corpus/ops is committed") {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        ops::run(&bytes);
    }
}
