//! Workload 7 of issue 6: the memory each peer needs for a 5-variant state.
//!
//! For each peer:
//! - `shared_inline`: `size_of` of what the setter and waiters share (the
//!   struct in `common`: for tokio watch that is a `Sender`, one pointer);
//! - `shared_heap`: heap bytes that shared state owns, at construction and
//!   after a first waiter has registered and gone (lazily allocated notify
//!   lists count here);
//! - `waiter_handle`: `size_of` of what each waiting task holds besides its
//!   future (a receiver), `wait_future`: `size_of` of a `wait_until` future;
//! - `waiter_heap`: heap bytes per registered waiter, averaged over 64.
//!
//! Heap bytes come from a counting global allocator (`stats_alloc`), so this
//! is its own bench binary: the others run on the plain system allocator.
//! Writes `target/stateword-bench/sizes.json` and prints a table.

mod common;

use std::alloc::System;
use std::fmt::Write as _;
use std::future::Future;
use std::mem::{size_of, size_of_val};
use std::pin::{pin, Pin};

use common::{Conn, Peer};
use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use futures_lite::future::{block_on, poll_once};
use stats_alloc::{StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Heap bytes live right now (this binary is single-threaded while it
/// measures, so the global counters are ours).
fn live() -> isize {
    let s = GLOBAL.stats();
    s.bytes_allocated as isize - s.bytes_deallocated as isize + s.bytes_reallocated
}

/// Waiters registered at once to average the per-waiter heap over.
const WAITERS: usize = 64;

struct Row {
    peer: &'static str,
    shared_inline: usize,
    shared_heap: isize,
    waiter_handle: usize,
    wait_future: usize,
    waiter_heap: f64,
}

fn measure<P: Peer>() -> Row {
    // Construction: the leak's box holds the inline part; the rest is heap
    // the shared state owns.
    let before = live();
    let peer = P::leak(Conn::Connected);
    let at_construction = live() - before - size_of::<P>() as isize;

    // A first waiter registers and leaves: what it made the shared state
    // allocate for good (event-listener's list, for one) stays.
    let wait_future;
    let before = live();
    {
        let mut waiter = peer.waiter();
        let mut wait = pin!(peer.wait_until(&mut waiter, Conn::Closing));
        wait_future = size_of_val(&*wait);
        assert!(block_on(poll_once(wait.as_mut())).is_none(), "registered");
    }
    let lazily = live() - before;

    // 64 waiters at once, each a boxed task-like future holding its waiter.
    let mut parked: Vec<Pin<Box<dyn Future<Output = Conn>>>> = Vec::with_capacity(WAITERS);
    let before = live();
    let mut boxes = 0;
    for _ in 0..WAITERS {
        let mut future: Pin<Box<dyn Future<Output = Conn>>> = Box::pin(async move {
            let mut waiter = peer.waiter();
            peer.wait_until(&mut waiter, Conn::Closing).await
        });
        boxes += size_of_val(&*future);
        assert!(block_on(poll_once(future.as_mut())).is_none(), "registered");
        parked.push(future);
    }
    let waiter_heap = (live() - before - boxes as isize) as f64 / WAITERS as f64;
    drop(parked);

    Row {
        peer: P::NAME,
        shared_inline: size_of::<P>(),
        shared_heap: at_construction + lazily,
        waiter_handle: size_of::<P::Waiter>(),
        wait_future,
        waiter_heap,
    }
}

fn main() {
    if !common::selected("sizes") {
        return;
    }
    // futures-lite's `block_on` sets up its thread-local parker on first use.
    block_on(async {});

    let mut rows = Vec::new();
    for_each_peer!(P => { rows.push(measure::<P>()); });
    let raw = Row {
        peer: "raw atomic",
        shared_inline: size_of::<std::sync::atomic::AtomicU32>(),
        shared_heap: 0,
        waiter_handle: 0,
        wait_future: 0,
        waiter_heap: 0.0,
    };
    rows.push(raw);

    // embassy-sync's Watch reserves a waker slot per receiver inline; the
    // benches build it for 1024. What one slot costs:
    type W<const N: usize> = embassy_sync::watch::Watch<CriticalSectionRawMutex, Conn, N>;
    let embassy_slot = size_of::<W<2>>() - size_of::<W<1>>();
    let embassy_4 = size_of::<W<4>>();

    let mut json = String::from("{\n  \"peers\": [\n");
    for (i, row) in rows.iter().enumerate() {
        println!(
            "sizes/{}: shared {} B inline + {} B heap; per waiter {} B handle + {} B future + {:.1} B heap",
            row.peer,
            row.shared_inline,
            row.shared_heap,
            row.waiter_handle,
            row.wait_future,
            row.waiter_heap
        );
        let _ = writeln!(
            json,
            "    {{\"peer\": \"{}\", \"shared_inline\": {}, \"shared_heap\": {}, \"waiter_handle\": {}, \"wait_future\": {}, \"waiter_heap\": {:.1}}}{}",
            row.peer,
            row.shared_inline,
            row.shared_heap,
            row.waiter_handle,
            row.wait_future,
            row.waiter_heap,
            if i + 1 == rows.len() { "" } else { "," },
        );
    }
    println!("sizes/embassy watch: {embassy_slot} B per receiver slot; {embassy_4} B with N = 4");
    let _ = write!(
        json,
        "  ],\n  \"embassy_slot\": {embassy_slot},\n  \"embassy_n4\": {embassy_4}\n}}\n"
    );
    let path = common::extra_results_dir().join("sizes.json");
    std::fs::write(&path, json).expect("write sizes.json");
}
