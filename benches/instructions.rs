//! Loops over the hot paths, for instruction counts under callgrind, which
//! do not move with the machine's noise (criterion's times do):
//! `bash tools/instructions.sh [COMMIT]` builds this and prints
//! instructions per iteration for each loop, here and at `COMMIT`.
//!
//! `instructions OP N` runs loop `OP` `N` times. Under `cargo bench` (no
//! `OP`) it does nothing, so the bench suite stays criterion's.
#![allow(clippy::incompatible_msrv)] // benches are not built at the MSRV

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use stateword::{Observable, State};

/// The lifecycle of the other benches: a fieldless enum, stored as its byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
enum Conn {
    Disconnected,
    Connecting,
    Connected,
    Closing,
    Closed,
}

/// The same lifecycle with data: encoded at the first access, decoded by
/// `State::decode`. (Left out with `--cfg instructions_fieldless_only`, to
/// build this against commits from before states could carry data.)
#[cfg(not(instructions_fieldless_only))]
#[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
enum Link {
    Down,
    Up { peer: u8 },
    Closed { code: u16 },
}

/// The value a loop sets on iteration `i`: two values, alternating.
trait Alternate: State {
    fn nth(i: u32) -> Self;
}

impl Alternate for Conn {
    fn nth(i: u32) -> Self {
        if i & 1 == 0 {
            Conn::Connecting
        } else {
            Conn::Connected
        }
    }
}

#[cfg(not(instructions_fieldless_only))]
impl Alternate for Link {
    fn nth(i: u32) -> Self {
        if i & 1 == 0 {
            Link::Up { peer: i as u8 }
        } else {
            Link::Closed { code: i as u16 }
        }
    }
}

#[inline(never)]
fn get<S: Alternate>(o: &Observable<S>, n: u32) {
    for _ in 0..n {
        black_box(black_box(o).get());
    }
}

#[inline(never)]
fn set<S: Alternate>(o: &Observable<S>, n: u32) {
    for i in 0..n {
        black_box(o.set(S::nth(i)));
    }
}

/// `set` while one wait is registered and parked: once the first
/// transition woke it (it is never polled again), each `set` records its
/// ledger entry and finds that nobody joined the notify list since. The
/// setter's side of `contended`.
#[inline(never)]
fn set_parked<W: Waitable>(o: &W, n: u32) {
    let mut parked = pin!(o.never());
    let cx = &mut Context::from_waker(Waker::noop());
    assert!(parked.as_mut().poll(cx).is_pending());
    for i in 0..n {
        o.put(black_box(W::nth(i)));
    }
}

/// What the wake loops drive: stateword, or the best peer of the wake path.
trait Waitable {
    type Value: Copy;
    /// The value iteration `i` waits for and sets.
    fn nth(i: u32) -> Self::Value;
    fn put(&self, value: Self::Value);
    fn until(&self, target: Self::Value) -> impl Future<Output = Self::Value> + '_;
    /// A wait that never completes.
    fn never(&self) -> impl Future<Output = Self::Value> + '_;
}

impl<S: Alternate> Waitable for Observable<S> {
    type Value = S;
    fn nth(i: u32) -> S {
        S::nth(i)
    }
    fn put(&self, value: S) {
        self.set(value);
    }
    fn until(&self, target: S) -> impl Future<Output = S> + '_ {
        self.wait_until(target)
    }
    fn never(&self) -> impl Future<Output = S> + '_ {
        self.wait_for(|_| false)
    }
}

/// One waiter: register and park (first poll), `set`, poll to completion.
#[inline(never)]
fn wake<W: Waitable>(o: &W, n: u32) {
    let cx = &mut Context::from_waker(Waker::noop());
    for i in 0..n {
        let target = W::nth(i + 1);
        let mut w = pin!(o.until(target));
        assert!(w.as_mut().poll(cx).is_pending());
        o.put(target);
        assert!(matches!(w.as_mut().poll(cx), Poll::Ready(_)));
    }
}

/// 64 waiters parked, one `set` wakes them, each completes.
#[inline(never)]
fn fanout<W: Waitable>(o: &W, n: u32) {
    let cx = &mut Context::from_waker(Waker::noop());
    for i in 0..n {
        let target = W::nth(i + 1);
        let mut ws: Vec<_> = (0..64).map(|_| Box::pin(o.until(target))).collect();
        for w in &mut ws {
            assert!(w.as_mut().poll(cx).is_pending());
        }
        o.put(target);
        for w in &mut ws {
            assert!(matches!(w.as_mut().poll(cx), Poll::Ready(_)));
        }
    }
}

/// Two tasks ping-pong on a current-thread tokio runtime, as the criterion
/// `handoff` does on two workers: real task wakers (cloned, woken, dropped)
/// instead of `wake`'s no-op one; one iteration is a round trip.
#[inline(never)]
fn handoff<W: Waitable + 'static>(o: &'static W, n: u32) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let (a, b) = (W::nth(0), W::nth(1));
    o.put(a);
    tokio::task::LocalSet::new().block_on(&rt, async {
        let pong = tokio::task::spawn_local(async move {
            for _ in 0..n {
                o.until(b).await;
                o.put(a);
            }
        });
        let ping = tokio::task::spawn_local(async move {
            for _ in 0..n {
                o.put(b);
                o.until(a).await;
            }
        });
        ping.await.unwrap();
        pong.await.unwrap();
    });
}

/// The best peer of the wake path (BENCHMARKS.md): an atomic plus an
/// `async_event::Event`, as its documentation shows, for `wake-async-event`
/// and `fanout-async-event`: the same loops as `wake` and `fanout`.
struct AsyncEventPeer {
    value: std::sync::atomic::AtomicU8,
    event: async_event::Event,
}

impl Waitable for AsyncEventPeer {
    type Value = u8;
    fn nth(i: u32) -> u8 {
        i as u8 & 1
    }
    fn put(&self, value: u8) {
        self.value
            .store(value, std::sync::atomic::Ordering::Relaxed);
        self.event.notify_all();
    }
    fn until(&self, target: u8) -> impl Future<Output = u8> + '_ {
        self.event.wait_until(move || {
            let now = self.value.load(std::sync::atomic::Ordering::Acquire);
            (now == target).then_some(now)
        })
    }
    fn never(&self) -> impl Future<Output = u8> + '_ {
        self.event.wait_until(|| None)
    }
}

fn run_async_event(op: &str, n: u32) {
    let o = AsyncEventPeer {
        value: std::sync::atomic::AtomicU8::new(0),
        event: async_event::Event::new(),
    };
    match op {
        "set-parked" => set_parked(&o, n),
        "wake" => wake(&o, n),
        "fanout" => fanout(&o, n),
        "handoff" => handoff(Box::leak(Box::new(o)), n),
        _ => panic!("unknown loop {op}-async-event: set-parked, wake, fanout or handoff"),
    }
}

fn run<S: Alternate>(op: &str, n: u32) {
    let o = Observable::new(S::nth(0));
    match op {
        "get" => get(&o, n),
        "set" => set(&o, n),
        "set-parked" => set_parked(&o, n),
        "wake" => wake(&o, n),
        "fanout" => fanout(&o, n),
        "handoff" => handoff(Box::leak(Box::new(o)), n),
        _ => panic!(
            "unknown loop {op}: get, set, set-parked, wake, fanout or handoff, with -data for the data state"
        ),
    }
}

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with("--"));
    let Some(op) = args.next() else { return };
    let n: u32 = args.next().and_then(|n| n.parse().ok()).expect("a count");
    if let Some(op) = op.strip_suffix("-async-event") {
        return run_async_event(op, n);
    }
    match op.strip_suffix("-data") {
        #[cfg(not(instructions_fieldless_only))]
        Some(op) => run::<Link>(op, n),
        #[cfg(instructions_fieldless_only)]
        Some(_) => panic!("built without the data state"),
        None => run::<Conn>(&op, n),
    }
}
