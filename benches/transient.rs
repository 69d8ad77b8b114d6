//! Workload 6 of issue 6, a correctness figure: K waiters parked on
//! `Closing`, then the setter does `Closing`, `Closed` back to back. What
//! fraction of the waiters observe `Closing`?
//!
//! A waiter observes `Closing` when its wait for `Closing` completes with
//! `Closing` within [`BOUND`] of the second `set`; every other waiter is a
//! miss (a level-triggered wait that woke to `Closed` goes back to sleep and
//! never completes). Every waiter is registered — its wait polled once,
//! counted by a latch — before the setter runs; no sleeps.
//!
//! Not a criterion bench: it writes `target/stateword-bench/transient.json`
//! for `tools/bench-report.py` and prints a table.

mod common;

use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{registered, Conn, Exec, Latch, Peer, Task};

/// How long a waiter may take to complete after the setter's two `set`s.
/// Hits arrive within about a millisecond; the bound is generous so that a
/// busy 2-core machine never turns a late hit into a miss.
const BOUND: Duration = Duration::from_millis(100);

/// Parked waiters per trial, and trials per K (fewer for large K, which
/// already counts many waiters per trial).
const RUNS: [(usize, usize); 4] = [(1, 60), (16, 20), (100, 10), (1024, 4)];

/// One trial: how many of `k` waiters observed `Closing`.
fn trial<P: Peer>(exec: &Exec, peer: &'static P, k: usize) -> usize {
    peer.set(Conn::Connected);
    let parked = Arc::new(Latch::new(k));
    let done = Arc::new(Latch::new(k));
    let hits = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<Task> = (0..k)
        .map(|_| {
            let (parked, done, hits) = (parked.clone(), done.clone(), hits.clone());
            exec.spawn(async move {
                let mut waiter = peer.waiter();
                let seen = registered(peer.wait_until(&mut waiter, Conn::Closing), &parked).await;
                if seen == Conn::Closing {
                    hits.fetch_add(1, Ordering::AcqRel);
                }
                done.count_down();
            })
        })
        .collect();
    parked.wait();
    peer.set(Conn::Closing);
    peer.set(Conn::Closed);
    let _ = done.wait_timeout(BOUND);
    let observed = hits.load(Ordering::Acquire);
    for task in tasks {
        task.cancel(); // the misses are still parked: drop their waits
    }
    observed
}

struct Row {
    exec: &'static str,
    peer: &'static str,
    k: usize,
    trials: usize,
    hits: usize,
    worst_trial: f64,
}

fn run<P: Peer>(exec: &Exec, rows: &mut Vec<Row>) {
    let peer = P::leak(Conn::Connected);
    for (k, trials) in RUNS {
        let mut hits = 0;
        let mut worst_trial = 1.0f64;
        for _ in 0..trials {
            let observed = trial(exec, peer, k);
            hits += observed;
            worst_trial = worst_trial.min(observed as f64 / k as f64);
        }
        let row = Row {
            exec: exec.name(),
            peer: P::NAME,
            k,
            trials,
            hits,
            worst_trial,
        };
        println!(
            "transient/{}/{}/{}: {:.1}% of {} waits observed Closing (worst trial {:.1}%)",
            row.exec,
            row.peer,
            row.k,
            100.0 * hits as f64 / (k * trials) as f64,
            k * trials,
            100.0 * worst_trial,
        );
        rows.push(row);
    }
}

fn main() {
    if !common::selected("transient") {
        return;
    }
    let started = Instant::now();
    let mut rows = Vec::new();
    for exec in [Exec::tokio(), Exec::smol()] {
        for_each_peer!(P => { run::<P>(&exec, &mut rows); });
    }

    let mut json = String::from("[\n");
    for (i, row) in rows.iter().enumerate() {
        let _ = writeln!(
            json,
            "  {{\"exec\": \"{}\", \"peer\": \"{}\", \"k\": {}, \"trials\": {}, \"waits\": {}, \"hits\": {}, \"worst_trial\": {:.4}}}{}",
            row.exec,
            row.peer,
            row.k,
            row.trials,
            row.k * row.trials,
            row.hits,
            row.worst_trial,
            if i + 1 == rows.len() { "" } else { "," },
        );
    }
    json.push_str("]\n");
    let path = common::extra_results_dir().join("transient.json");
    std::fs::write(&path, json).expect("write transient.json");
    println!(
        "transient: wrote {} in {:.1} s",
        path.display(),
        started.elapsed().as_secs_f64()
    );
}
