//! Workloads 3 to 5 of issue 6: waiting tasks on a multi-threaded executor
//! with two workers, driven from a plain thread.
//!
//! - `fanout-{tokio,smol}/PEER/K`: K tasks parked on `Closing`; time from the
//!   `set(Closing)` until the last of them has completed (read by that last
//!   task itself). Spawning the K tasks and waiting until each has been
//!   polled once (registered) is setup, outside the measured time.
//! - `fanout-poll/PEER/K`: the same fan-out without an executor or threads:
//!   K futures, each with its own waker, polled once by this thread; then
//!   `set` and poll (and drop) each to completion. The CPU cost of the wake
//!   path alone, free of thread wake-ups and scheduling: a diagnostic for
//!   the two rows above, not a target of the issue.
//! - `handoff/PEER`: two tasks ping-pong `Connecting → Connected →
//!   Connecting` with `wait_until`; time per round trip.
//! - `contended/PEER`: two setter threads make transitions while 64 tasks
//!   wait for them; time per transition (criterion's throughput is then
//!   transitions per second). Beside it, how many waits the tasks completed
//!   per transition, summed over every run of the bench, is written to
//!   `target/stateword-bench/contended.json`: a peer whose waiters skip
//!   states completes fewer, and its setters then share the two cores with
//!   less work.
//!
//! The raw atomic has nothing to wait with, so it has no row here.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use common::{fanout_once, registered, Conn, Exec, Latch, Peer, Task};
use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};

/// Parked waiters per fan-out run (issue 6).
const FANOUT_K: [usize; 4] = [1, 16, 256, 1024];
/// Waiting tasks in the contended workload (issue 6).
const CONTENDED_WAITERS: usize = 64;

/// `iters` fan-outs to `k` parked waiters; the summed time from each `set`
/// to the last waiter's completion.
fn fanout<P: Peer>(exec: &Exec, peer: &'static P, k: usize, iters: u64) -> Duration {
    (0..iters).map(|_| fanout_once(exec, peer, k)).sum()
}

/// A waker per future (embassy-sync's waker list skips a waker that
/// `will_wake` one it holds, so sharing one would flatter it).
struct CountWake(AtomicUsize);

impl Wake for CountWake {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

type ParkedWait = Pin<Box<dyn Future<Output = Conn> + Send>>;

/// `iters` fan-outs to `k` futures polled by this thread: the summed time
/// of `set` plus polling and dropping every future once it is ready.
fn fanout_poll<P: Peer>(peer: &'static P, k: usize, iters: u64) -> Duration {
    let wakers: Vec<Waker> = (0..k)
        .map(|_| Waker::from(Arc::new(CountWake(AtomicUsize::new(0)))))
        .collect();
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        peer.set(Conn::Connected);
        let mut parked: Vec<(ParkedWait, &Waker)> = wakers
            .iter()
            .map(|waker| {
                let mut wait: ParkedWait = Box::pin(async move {
                    let mut waiter = peer.waiter();
                    peer.wait_until(&mut waiter, Conn::Closing).await
                });
                let pending = wait.as_mut().poll(&mut Context::from_waker(waker));
                assert!(pending.is_pending());
                (wait, waker)
            })
            .collect();
        let start = Instant::now();
        peer.set(Conn::Closing);
        for (mut wait, waker) in parked.drain(..) {
            let ready = wait.as_mut().poll(&mut Context::from_waker(waker));
            assert_eq!(ready, Poll::Ready(Conn::Closing));
        }
        total += start.elapsed();
    }
    total
}

/// `iters` round trips A → B → A between two tasks.
fn handoff<P: Peer>(exec: &Exec, peer: &'static P, iters: u64) -> Duration {
    const A: Conn = Conn::Connecting;
    const B: Conn = Conn::Connected;
    peer.set(A);
    let done = Arc::new(Latch::new(2));
    let start = Instant::now();
    let tasks = [(A, B), (B, A)].map(|(wait, then)| {
        let done = done.clone();
        exec.spawn(async move {
            let mut waiter = peer.waiter();
            for _ in 0..iters {
                peer.wait_until(&mut waiter, wait).await;
                peer.set(then);
            }
            done.count_down();
        })
    });
    let end = done.wait();
    for task in tasks {
        task.cancel();
    }
    end.saturating_duration_since(start)
}

/// The two groups the contended setters alternate between. Setter 1 moves
/// between `Disconnected` and `Connecting`, setter 2 between `Connected` and
/// `Closing`: neither ever sets the value it (and so the state) last had
/// from itself, so every `set` is a real transition for every peer.
fn in_first_group(state: Conn) -> bool {
    matches!(state, Conn::Disconnected | Conn::Connected)
}

/// Transitions made and waits completed by one peer's `contended` runs.
#[derive(Default)]
struct ContendedTally {
    transitions: AtomicU64,
    waits: AtomicU64,
}

/// `iters` transitions by two setter threads while 64 tasks wait for each
/// group in turn; the time the setters took. Adds the transitions and the
/// waits the tasks completed to `tally` (each task counts its own and adds
/// them once, at its end, so counting takes no shared write per wait; the
/// waits completed after the setters stopped are at most one per task).
fn contended<P: Peer>(
    exec: &Exec,
    peer: &'static P,
    iters: u64,
    tally: &Arc<ContendedTally>,
) -> Duration {
    peer.set(Conn::Disconnected);
    let parked = Arc::new(Latch::new(CONTENDED_WAITERS));
    let done = Arc::new(Latch::new(CONTENDED_WAITERS));
    let tasks: Vec<Task> = (0..CONTENDED_WAITERS)
        .map(|_| {
            let (parked, done, tally) = (parked.clone(), done.clone(), tally.clone());
            exec.spawn(async move {
                let mut waiter = peer.waiter();
                let mut want_first = false;
                let mut first_wait = true;
                let mut completed = 0;
                loop {
                    let wait = peer.wait_for(&mut waiter, move |s| {
                        s == Conn::Closed || in_first_group(s) == want_first
                    });
                    let seen = if first_wait {
                        first_wait = false;
                        registered(wait, &parked).await
                    } else {
                        wait.await
                    };
                    if seen == Conn::Closed {
                        break;
                    }
                    completed += 1;
                    want_first = !want_first;
                }
                tally.waits.fetch_add(completed, Ordering::Relaxed);
                done.count_down();
            })
        })
        .collect();
    parked.wait();

    let start_line = Arc::new(Barrier::new(3));
    let setters = [
        (iters / 2, [Conn::Connecting, Conn::Disconnected]),
        (iters - iters / 2, [Conn::Closing, Conn::Connected]),
    ]
    .map(|(count, values)| {
        let start_line = start_line.clone();
        std::thread::spawn(move || {
            start_line.wait();
            for i in 0..count {
                peer.set(values[(i & 1) as usize]);
            }
        })
    });
    start_line.wait();
    let start = Instant::now();
    for setter in setters {
        setter.join().expect("setter thread");
    }
    let elapsed = start.elapsed();

    peer.set(Conn::Closed);
    done.wait();
    for task in tasks {
        task.cancel();
    }
    tally.transitions.fetch_add(iters, Ordering::Relaxed);
    elapsed
}

fn bench_fanout(c: &mut Criterion) {
    for exec in [Exec::tokio(), Exec::smol()] {
        let mut group = c.benchmark_group(format!("fanout-{}", exec.name()));
        group
            .sampling_mode(SamplingMode::Flat)
            .sample_size(30)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_millis(2500));
        for_each_peer!(P => {
            let peer = P::leak(Conn::Connected);
            for k in FANOUT_K {
                group.bench_with_input(BenchmarkId::new(P::NAME, k), &k, |b, &k| {
                    b.iter_custom(|iters| fanout(&exec, peer, k, iters))
                });
            }
        });
        group.finish();
    }
}

fn bench_fanout_poll(c: &mut Criterion) {
    let mut group = c.benchmark_group("fanout-poll");
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(30)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_millis(1500));
    for_each_peer!(P => {
        let peer = P::leak(Conn::Connected);
        for k in FANOUT_K {
            group.bench_with_input(BenchmarkId::new(P::NAME, k), &k, |b, &k| {
                b.iter_custom(|iters| fanout_poll(peer, k, iters))
            });
        }
    });
    group.finish();
}

fn bench_handoff(c: &mut Criterion) {
    let exec = Exec::tokio();
    let mut group = c.benchmark_group("handoff");
    group.sample_size(20);
    for_each_peer!(P => {
        let peer = P::leak(Conn::Connecting);
        group.bench_function(P::NAME, |b| b.iter_custom(|iters| handoff(&exec, peer, iters)));
    });
    group.finish();
}

fn bench_contended(c: &mut Criterion) {
    let exec = Exec::tokio();
    let mut group = c.benchmark_group("contended");
    group
        .sample_size(15)
        .sampling_mode(SamplingMode::Flat)
        .throughput(Throughput::Elements(1));
    let mut tallies = Vec::new();
    for_each_peer!(P => {
        let peer = P::leak(Conn::Disconnected);
        let tally = Arc::new(ContendedTally::default());
        group.bench_function(P::NAME, |b| {
            b.iter_custom(|iters| contended(&exec, peer, iters, &tally))
        });
        tallies.push((P::NAME, tally));
    });
    group.finish();
    write_contended_waits(&tallies);
}

/// `contended.json`: per peer that ran, its transitions and completed waits.
/// A run filtered to some peers writes only theirs, and the report shows
/// "–" for the rest: run the whole group before `tools/bench-report.py`.
fn write_contended_waits(tallies: &[(&str, Arc<ContendedTally>)]) {
    let rows: Vec<String> = tallies
        .iter()
        .map(|(peer, tally)| {
            (
                peer,
                tally.transitions.load(Ordering::Relaxed),
                tally.waits.load(Ordering::Relaxed),
            )
        })
        .filter(|&(_, transitions, _)| transitions > 0)
        .map(|(peer, transitions, waits)| {
            format!(
                "  {{\"peer\": \"{peer}\", \"transitions\": {transitions}, \"waits\": {waits}}}"
            )
        })
        .collect();
    if rows.is_empty() {
        return; // filtered out
    }
    let path = common::extra_results_dir().join("contended.json");
    std::fs::write(&path, format!("[\n{}\n]\n", rows.join(",\n"))).expect("write contended.json");
}

criterion_group! {
    name = wakeups;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .nresamples(20_000);
    targets = bench_fanout, bench_fanout_poll, bench_handoff, bench_contended
}
criterion_main!(wakeups);
