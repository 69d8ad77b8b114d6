//! Fuzz target `threads`: the fuzzer chooses what 2 or 3 setter threads do
//! (sets, compare-exchanges, updates) while waits registered beforehand
//! watch. The OS schedules the threads; the checks hold for every schedule:
//!
//! * the final version equals the number of calls that reported a transition
//!   (each `set` whose previous value differed, each successful
//!   `compare_exchange`/`update` that changed the value);
//! * a wait for `X` registered before the threads started completes with `X`
//!   if any call transitioned into `X`, and `changed()` completes iff there was
//!   a transition;
//! * nothing stays registered.
#![no_main]

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Barrier};
use std::task::{Context, Poll, Waker};

use stateword::{Observable, State};

// The state, its variants and the counting waker of the `ops` harness.
#[allow(dead_code)] // its `run` is the other target's
#[path = "../src/ops.rs"]
mod ops;
use ops::{Conn, CountingWaker, ALL};

fn poll<F: Future + Unpin>(f: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(f).poll(&mut Context::from_waker(waker))
}

/// Runs one thread's operations; returns the states it transitioned into.
fn setter(conn: &Observable<Conn>, ops: &[u8]) -> Vec<Conn> {
    let mut entered = Vec::new();
    for pair in ops.chunks(2) {
        let (op, arg) = (pair[0], *pair.get(1).unwrap_or(&0));
        let s = ALL[arg as usize % 5];
        match op % 3 {
            0 => {
                if conn.set(s) != s {
                    entered.push(s);
                }
            }
            1 => {
                let current = ALL[(arg / 5) as usize % 5];
                if conn.compare_exchange(current, s) == Ok(current) && current != s {
                    entered.push(s);
                }
            }
            _ => {
                let step = |c: Conn| Conn::from_index(c.index() + 1);
                if let Ok(previous) = conn.update(step) {
                    entered.push(step(previous).unwrap());
                }
            }
        }
    }
    entered
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&header, rest)) = data.split_first() else {
        return;
    };
    let threads = 2 + (header as usize % 2);
    let conn = Arc::new(Observable::new(ALL[(header / 2) as usize % 5]));

    let waker = Waker::from(Arc::new(CountingWaker::default()));
    let mut waits: Vec<_> = ALL
        .iter()
        .map(|&s| (s, Box::pin(conn.wait_for_next(move |c| c == s))))
        .collect();
    // Boxed: the wait futures are `!Unpin`, and these are moved around.
    let mut changed = Box::pin(conn.changed());
    for (_, w) in &mut waits {
        assert!(poll(w, &waker).is_pending());
    }
    assert!(poll(&mut changed, &waker).is_pending());

    let chunk = rest.len().div_ceil(threads).max(2) & !1;
    let barrier = Arc::new(Barrier::new(threads));
    let handles: Vec<_> = rest
        .chunks(chunk)
        .chain(std::iter::repeat(&[][..]))
        .take(threads)
        .map(|ops| {
            let (conn, barrier, ops) = (conn.clone(), barrier.clone(), ops.to_vec());
            std::thread::spawn(move || {
                barrier.wait();
                setter(&conn, &ops)
            })
        })
        .collect();
    let entered: Vec<Conn> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();

    assert_eq!(conn.version(), entered.len() as u64);
    for (s, w) in &mut waits {
        let got = poll(w, &waker);
        if entered.contains(s) {
            assert_eq!(got, Poll::Ready(*s), "a transition into {s:?} was missed");
        } else {
            assert_eq!(got, Poll::Pending, "{s:?} was never entered");
        }
    }
    let got = poll(&mut changed, &waker);
    assert_eq!(got.is_ready(), !entered.is_empty());
    drop(waits);
    drop(changed);
    assert_eq!(conn.waiter_count(), 0);
});
