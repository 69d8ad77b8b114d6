//! Graceful shutdown on tokio: stop accepting, wait for the requests in
//! flight to finish, then close.
//!
//! Two observables: `LIFECYCLE` (`Starting → Running → Closing → Draining →
//! Closed`) and `IN_FLIGHT`, a `u32` count of requests being handled. The
//! accept loop is the only place that admits requests: it counts each one
//! in before spawning its handler, and stops when it sees `Closing`. Shutdown
//! sets `Closing`, waits for the accept loop to stop (from then on the count
//! only goes down), and then waits for zero in flight, within a grace period.
//! A request sent after `Closing` is refused; the ones already admitted
//! finish.
//!
//! Run it with `cargo run --example shutdown`.

use std::time::Duration;

use stateword::{Observable, State};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::timeout;

#[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
enum Lifecycle {
    Starting,
    Running,
    /// No new requests are admitted.
    Closing,
    /// Waiting for the requests in flight.
    Draining,
    Closed,
}

static LIFECYCLE: Observable<Lifecycle> = Observable::new(Lifecycle::Starting);
/// Requests admitted and not finished yet.
static IN_FLIGHT: Observable<u32> = Observable::new(0);
/// How many backend responses have arrived: request `id` finishes once this
/// reaches `id`. It stands in for real I/O and lets `main` pace the example.
static RESPONSES: Observable<u32> = Observable::new(0);

/// How long shutdown waits for requests in flight before closing anyway.
const GRACE: Duration = Duration::from_secs(10);

async fn accept_loop(mut incoming: mpsc::Receiver<u32>) {
    println!("[server] running");
    LIFECYCLE.set(Lifecycle::Running);
    // One wait for the whole loop: it is not consumed by polling, and it
    // cannot miss Closing even if Closing is left again quickly.
    let mut closing = std::pin::pin!(LIFECYCLE.wait_until(Lifecycle::Closing));
    loop {
        tokio::select! {
            biased;
            _ = &mut closing => break,
            Some(id) = incoming.recv() => {
                println!("[server] accepts request {id}");
                // Counted in before its handler runs, so shutdown cannot see
                // zero while an admitted request has yet to start.
                IN_FLIGHT.update(|n| Some(n + 1)).unwrap();
                tokio::spawn(handle(id));
            }
        }
    }
    println!("[server] closing: no longer accepting");
    // Dropping `incoming` here refuses every later request.
}

async fn handle(id: u32) {
    RESPONSES.wait_for(|n| n >= id).await;
    println!("[request {id}] responding");
    IN_FLIGHT.update(|n| n.checked_sub(1)).unwrap();
}

async fn shutdown(accept_loop: JoinHandle<()>) {
    println!("[shutdown] -> Closing");
    LIFECYCLE.set(Lifecycle::Closing);
    accept_loop.await.unwrap();

    // Nothing is admitted any more: the count only goes down, so a
    // level-triggered wait for zero is all it takes.
    println!(
        "[shutdown] -> Draining: waiting for {} request(s) in flight",
        IN_FLIGHT.get()
    );
    LIFECYCLE.set(Lifecycle::Draining);
    match timeout(GRACE, IN_FLIGHT.wait_until(0)).await {
        Ok(_) => println!("[shutdown] nothing in flight: -> Closed"),
        Err(_) => println!(
            "[shutdown] grace period over with {} in flight: -> Closed anyway",
            IN_FLIGHT.get()
        ),
    }
    LIFECYCLE.set(Lifecycle::Closed);
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let (requests, incoming) = mpsc::channel(16);
    let server = tokio::spawn(accept_loop(incoming));
    LIFECYCLE.wait_until(Lifecycle::Running).await;

    for id in 1..=3 {
        println!("[client] sends request {id}");
        requests.send(id).await.unwrap();
        IN_FLIGHT.wait_until(id).await;
    }
    println!("[backend] answers request 1");
    RESPONSES.set(1);
    IN_FLIGHT.wait_until(2).await;

    println!("[signal] SIGTERM");
    let stopping = tokio::spawn(shutdown(server));
    LIFECYCLE.wait_until(Lifecycle::Draining).await;

    println!("[client] sends request 4");
    match requests.send(4).await {
        Ok(()) => panic!("a closing server admitted a request"),
        Err(_) => println!("[client] request 4 refused: the server is closing"),
    }

    for id in 2..=3 {
        println!("[backend] answers request {id}");
        RESPONSES.set(id);
        IN_FLIGHT.wait_until(3 - id).await;
    }
    stopping.await.unwrap();

    assert_eq!(LIFECYCLE.get(), Lifecycle::Closed);
    assert_eq!(IN_FLIGHT.get(), 0);
    println!(
        "[main] closed cleanly: {} requests served, lifecycle went through {} states",
        RESPONSES.get(),
        LIFECYCLE.version() + 1
    );
}
