//! Guarantee 1: a polled wait on a finite state completes with the matching
//! value even when the state left it before the waiting task ran again.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{register, within, Conn};
use futures_lite::future::{block_on, poll_once};
use stateword::Observable;

#[test]
fn a_back_to_back_transient_state_is_still_seen() {
    let conn = Observable::new(Conn::Connected);
    block_on(async {
        let mut drain = std::pin::pin!(conn.wait_for(|s| s == Conn::Closing));
        register(&mut drain).await;
        conn.set(Conn::Closing);
        conn.set(Conn::Closed);
        assert_eq!(poll_once(&mut drain).await, Some(Conn::Closing));
    });
}

/// What a wait for `Closing` or `Closed`, registered from `Connected`,
/// returns at its first poll after `transitions`.
fn ending_after(transitions: &[Conn]) -> Option<Conn> {
    let conn = Observable::new(Conn::Connected);
    block_on(async {
        let mut ending =
            std::pin::pin!(conn.wait_for(|s| matches!(s, Conn::Closing | Conn::Closed)));
        register(&mut ending).await;
        for &state in transitions {
            conn.set(state);
        }
        poll_once(&mut ending).await
    })
}

#[test]
fn the_wait_returns_the_matched_value_not_the_current_one() {
    // Both were entered; the earliest is reported, and neither is current.
    let transitions = [Conn::Closing, Conn::Closed, Conn::Disconnected];
    assert_eq!(ending_after(&transitions), Some(Conn::Closing));
}

#[test]
fn the_earliest_match_wins_even_when_the_current_value_matches_too() {
    // The word holds a match, but not the first: with two variants to
    // find, the ledger answers, not the word.
    assert_eq!(
        ending_after(&[Conn::Closing, Conn::Closed]),
        Some(Conn::Closing)
    );
}

#[test]
fn the_latest_of_several_entries_of_the_same_variant_still_counts() {
    let conn = Observable::new(Conn::Connected);
    block_on(async {
        let mut w = std::pin::pin!(conn.wait_until(Conn::Closing));
        register(&mut w).await;
        for _ in 0..3 {
            conn.set(Conn::Closing);
            conn.set(Conn::Connected);
        }
        assert_eq!(poll_once(&mut w).await, Some(Conn::Closing));
    });
}

#[test]
fn entries_completed_before_registration_are_not_reported() {
    let conn = Observable::new(Conn::Connected);
    // These happen before the wait exists: the ledger records Closing at v1.
    conn.set(Conn::Closing);
    conn.set(Conn::Connected);
    block_on(async {
        let mut next = std::pin::pin!(conn.wait_for_next(|s| s == Conn::Closing));
        register(&mut next).await;
        let mut level = std::pin::pin!(conn.wait_for(|s| s == Conn::Closing));
        register(&mut level).await;
        // Another waiter makes setters write the ledger; unrelated transitions
        // must not make the old Closing entry look new.
        conn.set(Conn::Connecting);
        conn.set(Conn::Connected);
        assert!(
            poll_once(&mut next).await.is_none(),
            "reported an entry from before registration"
        );
        assert!(
            poll_once(&mut level).await.is_none(),
            "reported an entry from before registration"
        );
        conn.set(Conn::Closing);
        conn.set(Conn::Closed);
        assert_eq!(poll_once(&mut next).await, Some(Conn::Closing));
        assert_eq!(poll_once(&mut level).await, Some(Conn::Closing));
    });
}

#[test]
fn wait_for_next_ignores_the_current_value() {
    let conn = Observable::new(Conn::Connected);
    block_on(async {
        let mut next = std::pin::pin!(conn.wait_for_next(|s| s == Conn::Connected));
        register(&mut next).await;
        conn.set(Conn::Disconnected);
        assert!(poll_once(&mut next).await.is_none());
        conn.set(Conn::Connected);
        conn.set(Conn::Closing);
        assert_eq!(poll_once(&mut next).await, Some(Conn::Connected));
    });
}

#[test]
fn transient_states_of_bool_and_option_are_seen() {
    let flag = Observable::new(false);
    let slot = Observable::new(Some(Conn::Connected));
    block_on(async {
        let mut pulse = std::pin::pin!(flag.wait_until(true));
        let mut gap = std::pin::pin!(slot.wait_for(|s| s.is_none()));
        register(&mut pulse).await;
        register(&mut gap).await;
        flag.set(true);
        flag.set(false);
        slot.set(None);
        slot.set(Some(Conn::Closed));
        assert_eq!(poll_once(&mut pulse).await, Some(true));
        assert_eq!(poll_once(&mut gap).await, Some(None));
    });
}

/// Hundreds of waiters parked on `Closing` while several threads race
/// through the other states; each thread enters `Closing` exactly once, and
/// leaves it at once. Every waiter must complete with `Closing`, although it
/// is almost never the current state when a waiter runs.
#[test]
#[cfg_attr(miri, ignore = "hundreds of tasks and threads: too slow under Miri")]
fn hundreds_of_waiters_and_racing_setter_threads_miss_nothing() {
    const WAITERS: usize = 300;
    const SETTERS: usize = 4;
    const CYCLES: usize = 3_000;
    let busy = [Conn::Disconnected, Conn::Connecting, Conn::Connected];
    let conn = Arc::new(Observable::new(Conn::Disconnected));
    within(Duration::from_secs(60), "hundreds of waiters", || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .build()
            .unwrap();
        runtime.block_on(async {
            let armed = Arc::new(Observable::new(0u32));
            let mut tasks = Vec::new();
            for _ in 0..WAITERS {
                let (conn, armed) = (conn.clone(), armed.clone());
                tasks.push(tokio::spawn(async move {
                    let mut w = std::pin::pin!(conn.wait_until(Conn::Closing));
                    register(&mut w).await;
                    armed.update(|n| Some(n + 1)).unwrap();
                    w.await
                }));
            }
            armed.wait_until(WAITERS as u32).await;
            let setters: Vec<_> = (0..SETTERS)
                .map(|i| {
                    let conn = conn.clone();
                    std::thread::spawn(move || {
                        for c in 0..CYCLES {
                            if c == CYCLES / 2 + 100 * i {
                                conn.set(Conn::Closing);
                            }
                            conn.set(busy[(c + i) % busy.len()]);
                        }
                    })
                })
                .collect();
            for s in setters {
                s.join().unwrap();
            }
            let mut saw = 0;
            for t in tasks {
                assert_eq!(t.await.unwrap(), Conn::Closing);
                saw += 1;
            }
            assert_eq!(saw, WAITERS);
        });
    });
    assert_eq!(conn.waiter_count(), 0);
}

/// `wait_for_some` narrows `Option<S>` to `S` with `wait_for`'s guarantee:
/// a `Some` entered and left again after registration is still returned.
#[test]
fn wait_for_some_returns_a_transient_some_as_the_value_inside() {
    let peer = Observable::new(None::<Conn>);
    block_on(async {
        let mut wait = std::pin::pin!(peer.wait_for_some(|c| c == Conn::Closing));
        register(&mut wait).await;
        peer.set(Some(Conn::Connected)); // `Some`, but not a match
        peer.set(Some(Conn::Closing));
        peer.set(None); // gone before the waiter runs
        let found: Conn = wait.await;
        assert_eq!(found, Conn::Closing);
    });
    peer.set(Some(Conn::Closed));
    assert_eq!(block_on(peer.wait_for_some(|_| true)), Conn::Closed);
    assert_eq!(peer.waiter_count(), 0);
}

/// The window between a wait counting itself (`waiter_count()` goes up) and
/// its look after registering: a setter that saw the count and then set is
/// seen, even if its transient is gone by that look. The transitions are
/// made from inside the predicate, which the wait calls in that window (on
/// every variant, to build its mask): a deterministic stand-in for a setter
/// thread that waits for `waiter_count() > 0`, as `tests/blocking.rs` does.
#[test]
fn a_transient_set_right_after_registration_is_seen() {
    let conn = Observable::new(Conn::Connected);
    let injected = std::cell::Cell::new(false);
    let wait = conn.wait_for(|s| {
        if conn.waiter_count() == 1 && !injected.replace(true) {
            conn.set(Conn::Closing);
            conn.set(Conn::Closed);
        }
        s == Conn::Closing
    });
    let mut wait = std::pin::pin!(wait);
    let first = block_on(poll_once(&mut wait));
    assert!(
        injected.get(),
        "the predicate ran in the registration window"
    );
    assert_eq!(first, Some(Conn::Closing));
    assert_eq!(conn.get(), Conn::Closed);
    assert_eq!(conn.waiter_count(), 0);
}
