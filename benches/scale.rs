//! The scale workload of issue 15: 10^5 and 10^6 parked waiters, woken by one
//! `set`, for each peer that can hold that many (embassy watch fixes its
//! receivers at compile time, 1024 in these benches, so it sits this out).
//!
//! - **heap per parked waiter**: N waits, each boxed as an executor's task
//!   would hold it (its handle, if the peer has one, and its future) and
//!   polled once, so registered; heap bytes live afterwards, over N. That is
//!   the future itself plus whatever the wait allocated (a list entry).
//!   A counting global allocator (`stats_alloc`) measures it, without an
//!   executor, so executor task headers are not in it.
//! - **wake-all**: N tokio tasks (2 workers) parked on `Closing` (a latch
//!   counts them, as in `fanout`), then one `set(Closing)` from this thread;
//!   time until the last task completed, read by that task. The median of
//!   a few trials: each trial spawns N tasks, so criterion's sampling would
//!   take minutes per point.
//!
//! Writes `target/stateword-bench/scale.json` (the report tool reads it) and
//! prints a table. `cargo bench --bench scale`; `-- 100000` runs one N.
#![allow(clippy::incompatible_msrv)] // benches are not built at the MSRV

mod common;

use std::alloc::System;
use std::fmt::Write as _;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Waker};

use common::{fanout_once, AsyncEvent, Conn, Exec, HandRolled, Peer, Stateword, TokioWatch};
use stats_alloc::{StatsAlloc, INSTRUMENTED_SYSTEM};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Heap bytes live right now, as in `sizes.rs`.
fn live() -> isize {
    let s = GLOBAL.stats();
    s.bytes_allocated as isize - s.bytes_deallocated as isize + s.bytes_reallocated
}

/// Parked waiters per point, and the wake-all trials at each.
const POINTS: [(usize, usize); 2] = [(100_000, 5), (1_000_000, 3)];

type ParkedWait = Pin<Box<dyn Future<Output = Conn> + Send>>;

/// One parked wait as a task holds it: the peer's waiter handle and its
/// `wait_until` future, in one box.
fn parked_wait<P: Peer>(peer: &'static P) -> ParkedWait {
    Box::pin(async move {
        let mut waiter = peer.waiter();
        peer.wait_until(&mut waiter, Conn::Closing).await
    })
}

/// Heap bytes per registered wait, over `n` of them.
fn heap_per_waiter<P: Peer>(peer: &'static P, n: usize) -> f64 {
    peer.set(Conn::Connected);
    let cx = &mut Context::from_waker(Waker::noop());
    let mut waits: Vec<ParkedWait> = Vec::with_capacity(n);
    let before = live();
    for _ in 0..n {
        let mut wait = parked_wait(peer);
        assert!(wait.as_mut().poll(cx).is_pending());
        waits.push(wait);
    }
    let bytes = live() - before;
    // Completes them all, so that nothing stays registered.
    peer.set(Conn::Closing);
    for mut wait in waits {
        assert!(wait.as_mut().poll(cx).is_ready());
    }
    bytes as f64 / n as f64
}

struct Row {
    peer: &'static str,
    n: usize,
    heap_per_waiter: f64,
    /// Sorted.
    wake_all_ns: Vec<f64>,
}

fn measure<P: Peer>(exec: &Exec, n: usize, trials: usize) -> Row {
    let peer = P::leak(Conn::Connected);
    let heap_per_waiter = heap_per_waiter(peer, n);
    let mut wake_all_ns: Vec<f64> = (0..trials)
        .map(|_| fanout_once(exec, peer, n).as_nanos() as f64)
        .collect();
    wake_all_ns.sort_by(f64::total_cmp);
    Row {
        peer: P::NAME,
        n,
        heap_per_waiter,
        wake_all_ns,
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a number picks one N, and another
    // filter (`cargo bench -- handoff`) skips this bench.
    let only: Option<usize> = std::env::args().skip(1).find_map(|a| a.parse().ok());
    if only.is_none() && !common::selected("scale") {
        return;
    }
    let exec = Exec::tokio();
    let mut rows = Vec::new();
    for (n, trials) in POINTS {
        if only.is_some_and(|only| only != n) {
            continue;
        }
        rows.push(measure::<Stateword>(&exec, n, trials));
        rows.push(measure::<TokioWatch>(&exec, n, trials));
        rows.push(measure::<AsyncEvent>(&exec, n, trials));
        rows.push(measure::<HandRolled>(&exec, n, trials));
    }

    println!(
        "{:<12} {:>9} {:>14} {:>14} {:>14}",
        "peer", "N", "heap/waiter", "wake-all med", "min..max"
    );
    let mut json = String::from("{\"points\": [");
    for (i, r) in rows.iter().enumerate() {
        let median = r.wake_all_ns[r.wake_all_ns.len() / 2];
        let (min, max) = (r.wake_all_ns[0], r.wake_all_ns[r.wake_all_ns.len() - 1]);
        println!(
            "{:<12} {:>9} {:>12.0} B {:>11.1} ms {:>6.1}..{:.1} ms",
            r.peer,
            r.n,
            r.heap_per_waiter,
            median / 1e6,
            min / 1e6,
            max / 1e6
        );
        let trials: Vec<String> = r.wake_all_ns.iter().map(|t| format!("{t:.0}")).collect();
        let _ = write!(
            json,
            "{}{{\"peer\": \"{}\", \"n\": {}, \"heap_per_waiter\": {:.1}, \"wake_all_ns\": [{}]}}",
            if i == 0 { "" } else { ", " },
            r.peer,
            r.n,
            r.heap_per_waiter,
            trials.join(", ")
        );
    }
    json.push_str("]}\n");
    let path = common::extra_results_dir().join("scale.json");
    std::fs::write(&path, json).expect("write scale.json");
}
