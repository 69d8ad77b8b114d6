//! stateword on tokio's multi-thread runtime: tasks on worker threads wait on
//! a `static Observable`, and timeouts come from `tokio::time::timeout`.
//!
//! Three worker tasks register two waits each, one for `Serving` and one for
//! `Draining`. The main task sets `Serving`, then `Draining` and `Stopped`
//! back to back; each worker awaits its `Draining` wait only after the phase
//! is `Stopped`, and the wait still returns `Draining`. Then two timeouts: one that expires (the
//! dropped wait leaves nothing behind) and one that does not.
//!
//! Run it with `cargo run --example on_tokio`.

use std::time::Duration;

use futures_lite::future::poll_once;
use stateword::{Observable, State};
use tokio::time::timeout;

#[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
enum Phase {
    Booting,
    Serving,
    Draining,
    Stopped,
}

/// The service's phase, shared by every task: a `static`, no `Arc` needed.
static PHASE: Observable<Phase> = Observable::new(Phase::Booting);
/// How many workers have registered their waits: the main task's handshake,
/// so it never changes the phase before every worker listens.
static LISTENING: Observable<u32> = Observable::new(0);

const WORKERS: u32 = 3;

/// Registers its waits before the first phase change, then reports what the
/// Draining wait returned and what the phase was by then.
async fn worker() -> (Phase, Phase) {
    let mut serving = std::pin::pin!(PHASE.wait_until(Phase::Serving));
    let mut draining = std::pin::pin!(PHASE.wait_for(|p| p == Phase::Draining));
    // A wait that has been polled once is registered: from now on it cannot
    // miss its state. (Both are pending: the main task waits for us first.)
    assert!(poll_once(&mut serving).await.is_none());
    assert!(poll_once(&mut draining).await.is_none());
    LISTENING.update(|n| Some(n + 1)).unwrap();

    serving.await;
    // Come back to the Draining wait only once the phase has moved past it:
    // the wait still completes, with the value it was waiting for.
    PHASE.wait_until(Phase::Stopped).await;
    let matched = draining.await;
    (matched, PHASE.get())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let workers: Vec<_> = (0..WORKERS).map(|_| tokio::spawn(worker())).collect();
    LISTENING.wait_for(|n| n == WORKERS).await;
    println!("[main] {WORKERS} workers are listening: -> Serving");
    PHASE.set(Phase::Serving);

    println!("[main] -> Draining, Stopped (back to back)");
    PHASE.set(Phase::Draining);
    PHASE.set(Phase::Stopped);

    for (id, worker) in workers.into_iter().enumerate() {
        let (matched, now) = worker.await.unwrap();
        println!("[worker {id}] its wait for Draining returned {matched:?} (the phase is {now:?} by then)");
        assert_eq!(matched, Phase::Draining);
    }

    // A timeout that expires: nothing will set Booting again. The runtime
    // drops the wait future, which unregisters it: waits are cancel-safe.
    let waited = timeout(Duration::from_millis(50), PHASE.wait_until(Phase::Booting)).await;
    match waited {
        Ok(phase) => panic!("nobody sets Booting, yet the wait returned {phase:?}"),
        Err(elapsed) => println!(
            "[main] wait for Booting with a 50 ms timeout: {elapsed}; waits left registered: {}",
            PHASE.waiter_count()
        ),
    }
    assert_eq!(PHASE.waiter_count(), 0);

    // A timeout that does not expire: register the wait, then let another
    // task restart the service.
    let mut booting = std::pin::pin!(PHASE.wait_until(Phase::Booting));
    assert!(poll_once(&mut booting).await.is_none());
    let restarter = tokio::spawn(async {
        println!("[restarter] -> Booting");
        PHASE.set(Phase::Booting);
    });
    let waited = timeout(Duration::from_secs(10), booting).await;
    println!("[main] wait for Booting with a 10 s timeout: {waited:?}");
    assert_eq!(waited, Ok(Phase::Booting));
    restarter.await.unwrap();

    println!(
        "[main] done: {} transitions, phase {:?}",
        PHASE.version(),
        PHASE.get()
    );
}
