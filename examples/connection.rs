//! The main job: a connection lifecycle whose handlers never miss a state.
//!
//! A driver takes a connection through three rounds of
//! `Disconnected → Connecting → Connected { peer } → Closing → Closed { code }
//! → Disconnected`, setting the last three back to back. Four handlers run as
//! tokio tasks on other threads:
//!
//! * `drain` waits for `Closing` and must drain in-flight requests. By the
//!   time it runs the state is already `Disconnected`, but its wait still
//!   completes with `Closing`: this is what `tokio::sync::watch` and
//!   condition variables get wrong.
//! * `report` waits for `Closed { .. }` and reports the close code, which
//!   it reads from the transient entry itself: the state carries it.
//! * `serve` waits for `Connected { .. }` and starts sending to the peer.
//! * `log` prints every transition, in order, from the observable's history
//!   ring (16 transitions kept), through a subscriber.
//!
//! Run it with `cargo run --example connection`.

use std::future::Future;

use futures_lite::future::poll_once;
use stateword::{Observable, State};

#[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
enum Conn {
    Disconnected,
    Connecting,
    Connected { peer: u8 },
    Closing,
    Closed { code: u16 },
}

/// The connection state, keeping its last 16 transitions for the logger.
static CONN: Observable<Conn, 16> = Observable::with_history(Conn::Disconnected);
/// How many handler waits are registered so far: the driver's handshake, so it
/// never sets a state before the handler that needs it is listening.
static ARMED: Observable<u32> = Observable::new(0);
/// The last version `log` printed.
static LOGGED: Observable<u32> = Observable::new(0);
/// How many times `drain` ran.
static DRAINED: Observable<u32> = Observable::new(0);
/// The close codes `report` read, one per round: each round's code is
/// `1000 + round`, so their sum says every one was read.
static REPORTED: Observable<u32> = Observable::new(0);

const ROUNDS: u32 = 3;

/// Polls `wait` once, which registers it, then counts it as armed.
async fn arm<F: Future + Unpin>(wait: &mut F) -> Option<F::Output> {
    let early = poll_once(&mut *wait).await;
    ARMED.update(|n| Some(n + 1)).unwrap();
    early
}

async fn drain() {
    loop {
        let mut closing = std::pin::pin!(CONN.wait_for_next(|s| s == Conn::Closing));
        let early = arm(&mut closing).await;
        let seen = match early {
            Some(seen) => seen,
            None => closing.await,
        };
        println!(
            "  [drain] saw {seen:?} (the state is {:?} by now): draining in-flight requests",
            CONN.get()
        );
        DRAINED.update(|n| Some(n + 1)).unwrap();
    }
}

async fn report() {
    loop {
        let mut closed = std::pin::pin!(CONN.wait_for_next(|s| matches!(s, Conn::Closed { .. })));
        let seen = match arm(&mut closed).await {
            Some(seen) => seen,
            None => closed.await,
        };
        let Conn::Closed { code } = seen else {
            unreachable!("the wait returns what matched")
        };
        println!(
            "  [report] closed with code {code} (the state is {:?} by now)",
            CONN.get()
        );
        REPORTED.update(|n| Some(n + u32::from(code))).unwrap();
    }
}

async fn serve() {
    loop {
        let mut connected =
            std::pin::pin!(CONN.wait_for_next(|s| matches!(s, Conn::Connected { .. })));
        let seen = match arm(&mut connected).await {
            Some(seen) => seen,
            None => connected.await,
        };
        if let Conn::Connected { peer } = seen {
            println!("  [serve] connected to peer {peer}: sending requests");
        }
    }
}

async fn log() {
    let mut transitions = CONN.subscribe();
    loop {
        match transitions.next_transition().await {
            Ok(t) => println!("  [log]   v{:<2} {:?} -> {:?}", t.version, t.from, t.to),
            Err(lag) => println!("  [log]   {lag}"),
        }
        LOGGED.set(transitions.version() as u32);
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    tokio::spawn(drain());
    tokio::spawn(report());
    tokio::spawn(serve());
    tokio::spawn(log());

    let mut codes = 0;
    for round in 1..=ROUNDS {
        println!("round {round}");
        ARMED.wait_for(|n| n >= 3 * round).await;
        for next in [Conn::Connecting, Conn::Connected { peer: round as u8 }] {
            println!("[driver] -> {next:?}");
            CONN.set(next);
        }
        let code = 1000 + round as u16;
        println!("[driver] -> Closing, Closed {{ code: {code} }}, Disconnected (back to back)");
        CONN.set(Conn::Closing);
        CONN.set(Conn::Closed { code });
        CONN.set(Conn::Disconnected);
        codes += u32::from(code);
        DRAINED.wait_for(|n| n >= round).await;
        REPORTED.wait_until(codes).await;
    }

    let last = CONN.version() as u32;
    LOGGED.wait_for(|v| v >= last).await;
    let drained = DRAINED.get();
    println!(
        "drain caught the short-lived Closing in {drained} of {ROUNDS} rounds, report every \
         close code; {} transitions in all",
        CONN.version()
    );
    assert_eq!(drained, ROUNDS);
    assert_eq!(REPORTED.get(), codes);
}
