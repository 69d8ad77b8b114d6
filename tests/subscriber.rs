//! Subscribers and the history ring: exact ordered transitions in bounded
//! memory, an explicit `Lagged`, `changed` that never misses a change between
//! calls, streams, and exact waits on integers with history.

mod common;

use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use common::waker::Probe;
use common::{within, Conn, Runtime};
use futures_lite::future::block_on;
use futures_lite::StreamExt;
use stateword::{Lagged, Observable, Transition};

#[test]
fn transitions_arrive_in_order_with_each_from_equal_to_the_previous_to() {
    let n: Observable<u32, 8> = Observable::with_history(0);
    let mut sub = n.subscribe();
    for v in [3, 3, 1, 4, 1] {
        n.set(v); // the second 3 is no transition
    }
    block_on(async {
        let mut seen = Vec::new();
        for _ in 0..4 {
            seen.push(sub.next_transition().await.unwrap());
        }
        assert_eq!(
            seen,
            [
                Transition {
                    from: 0,
                    to: 3,
                    version: 1
                },
                Transition {
                    from: 3,
                    to: 1,
                    version: 2
                },
                Transition {
                    from: 1,
                    to: 4,
                    version: 3
                },
                Transition {
                    from: 4,
                    to: 1,
                    version: 4
                },
            ]
        );
    });
    assert_eq!(sub.try_next_transition(), None);
}

#[test]
fn a_subscriber_too_far_behind_gets_one_exact_lag_report_then_continues() {
    let conn: Observable<Conn, 4> = Observable::with_history(Conn::Disconnected);
    let mut sub = conn.subscribe();
    let cycle = [
        Conn::Connecting,
        Conn::Connected,
        Conn::Closing,
        Conn::Closed,
        Conn::Disconnected,
    ];
    for i in 0..10 {
        conn.set(cycle[i % 5]);
    }
    assert_eq!(sub.try_next_transition(), Some(Err(Lagged { missed: 6 })));
    let rest: Vec<_> = std::iter::from_fn(|| sub.try_next_transition()).collect();
    let versions: Vec<u64> = rest.iter().map(|t| t.unwrap().version).collect();
    assert_eq!(versions, [7, 8, 9, 10]);
    assert_eq!(rest[0].unwrap().from, Conn::Connecting); // the to of version 6
    assert_eq!(rest[3].unwrap().to, Conn::Disconnected);
    assert_eq!(sub.try_next_transition(), None);
}

#[test]
fn setters_never_wait_for_a_slow_subscriber() {
    let n: Observable<u16, 2> = Observable::with_history(0);
    let mut idle = n.subscribe();
    for i in 1..=10_000 {
        n.set(i);
    }
    assert_eq!(
        idle.try_next_transition(),
        Some(Err(Lagged { missed: 9_998 }))
    );
    assert_eq!(idle.try_next_transition().unwrap().unwrap().to, 9_999);
}

#[test]
fn changed_in_a_loop_never_misses_a_change_between_calls() {
    let n = Observable::new(0u32);
    let mut sub = n.subscribe();
    block_on(async {
        n.set(1);
        assert_eq!(sub.changed().await, 1);
        n.set(2);
        n.set(3);
        assert_eq!(sub.changed().await, 3);
        // Set back to a value it had: still a change.
        n.set(1);
        n.set(3);
        assert_eq!(sub.changed().await, 3);
        assert_eq!(sub.version(), 5);
    });
    let mut pending = Probe::new(Box::pin(sub.changed()));
    assert!(pending.poll().is_pending());
    assert_eq!(n.waiter_count(), 1);
    n.set(9);
    assert!(pending.wakes() >= 1);
    assert_eq!(pending.poll(), Poll::Ready(9));
    assert_eq!(n.waiter_count(), 0);
}

#[test]
fn dropping_a_subscriber_or_its_futures_leaves_nothing_registered() {
    let n: Observable<u8, 4> = Observable::with_history(0);
    let mut sub = n.subscribe();
    {
        let mut next = Probe::new(Box::pin(sub.next_transition()));
        assert!(next.poll().is_pending());
        assert_eq!(n.waiter_count(), 1);
    }
    assert_eq!(n.waiter_count(), 0);
    {
        let mut changed = Probe::new(Box::pin(sub.changed()));
        assert!(changed.poll().is_pending());
    }
    assert_eq!(n.waiter_count(), 0);
    // The cursor did not move: the next transition is still the first.
    n.set(1);
    assert_eq!(block_on(sub.next_transition()).unwrap().version, 1);
    // As a stream, registered between items, then dropped.
    {
        let mut transitions = Box::pin(sub.transitions());
        let mut stream = Probe::new(transitions.next());
        assert!(stream.poll().is_pending());
        assert_eq!(n.waiter_count(), 1);
    }
    assert_eq!(n.waiter_count(), 0);
    drop(sub);
    assert_eq!(n.waiter_count(), 0);
}

#[test]
fn subscribers_are_streams() {
    let conn: Observable<Conn, 8> = Observable::with_history(Conn::Disconnected);
    let mut a = conn.subscribe();
    let mut b = conn.subscribe();
    conn.set(Conn::Connecting);
    conn.set(Conn::Connected);
    block_on(async {
        let got: Vec<_> = a
            .transitions()
            .take(2)
            .map(|t| t.unwrap().to)
            .collect()
            .await;
        assert_eq!(got, [Conn::Connecting, Conn::Connected]);
        let mut values = std::pin::pin!(b.changes());
        assert_eq!(values.next().await, Some(Conn::Connected));
    });
    // The streams moved the cursors they borrowed.
    assert_eq!((a.version(), b.version()), (2, 2));
}

#[test]
fn with_history_waits_on_integers_are_exact_and_return_the_first_match() {
    let n: Observable<u32, 8> = Observable::with_history(0);
    let mut five = Probe::new(n.wait_for(|v| v == 5));
    let mut big = Probe::new(n.wait_for_next(|v| v > 3));
    assert!(five.poll().is_pending());
    assert!(big.poll().is_pending());
    for v in [4, 5, 10, 6] {
        n.set(v);
    }
    assert_eq!(
        five.poll(),
        Poll::Ready(5),
        "a level wait would see 6 and miss 5"
    );
    assert_eq!(
        big.poll(),
        Poll::Ready(4),
        "the first match, not the current value"
    );
}

#[test]
fn past_the_history_waits_fall_back_to_the_level() {
    let n: Observable<u32, 2> = Observable::with_history(0);
    let mut two = Probe::new(n.wait_for(|v| v == 2));
    assert!(two.poll().is_pending());
    for v in 1..=5 {
        n.set(v); // 2 was overwritten in the ring before the wait ran
    }
    assert!(
        two.poll().is_pending(),
        "documented: beyond HISTORY it is level-triggered"
    );
    n.set(2);
    assert_eq!(two.poll(), Poll::Ready(2));
}

#[test]
fn history_costs_nothing_when_zero_and_two_words_per_slot_otherwise() {
    use std::mem::size_of;
    assert_eq!(
        size_of::<Observable<Conn, 0>>(),
        size_of::<Observable<Conn>>()
    );
    let word = if cfg!(target_has_atomic = "64") { 8 } else { 4 };
    assert_eq!(
        size_of::<Observable<Conn, 16>>(),
        size_of::<Observable<Conn>>() + 16 * 2 * word
    );
}

/// Every subscriber sees the same transitions in version order, each `from`
/// the previous `to`, while 4 threads set concurrently. The ring is larger
/// than the number of transitions, so nothing may be missed.
#[test]
fn concurrent_setters_and_subscribers_agree_on_one_ordered_history() {
    const SETTERS: u32 = 4;
    const PER_SETTER: u32 = if cfg!(miri) { 50 } else { 5_000 };
    // Under Miri every borrow of the ring retags all of it: keep it small.
    const RING: usize = if cfg!(miri) { 256 } else { 32_768 };
    static N: Observable<u32, RING> = Observable::with_history(0);
    let subscribers: Vec<_> = (0..3)
        .map(|_| {
            let mut sub = N.subscribe();
            std::thread::spawn(move || {
                let mut seen = Vec::new();
                block_on(async {
                    while seen.len() < (SETTERS * PER_SETTER) as usize {
                        seen.push(sub.next_transition().await.expect("no lag with this ring"));
                    }
                });
                seen
            })
        })
        .collect();
    within(Duration::from_secs(60), "ordered history", || {
        let setters: Vec<_> = (0..SETTERS)
            .map(|t| {
                std::thread::spawn(move || {
                    for i in 0..PER_SETTER {
                        // Distinct values: every set is a transition.
                        N.set(1 + t * PER_SETTER + i);
                    }
                })
            })
            .collect();
        for s in setters {
            s.join().unwrap();
        }
        let histories: Vec<Vec<Transition<u32>>> =
            subscribers.into_iter().map(|s| s.join().unwrap()).collect();
        let first = &histories[0];
        let mut previous = 0;
        for (i, t) in first.iter().enumerate() {
            assert_eq!(t.version, i as u64 + 1);
            assert_eq!(t.from, previous);
            previous = t.to;
        }
        assert_eq!(previous, N.get());
        for other in &histories[1..] {
            assert_eq!(other, first);
        }
    });
}

/// Subscribers in spawned `'static` tasks: one on a `static` observable, one
/// owning an `Arc`'d observable, on every runtime.
fn subscribers_in_static_tasks<R: Runtime>(rt: R) {
    static STATIC: Observable<u8, 64> = Observable::with_history(0);
    let shared: Arc<Observable<u8, 16>> = Arc::new(Observable::with_history(0));
    within(Duration::from_secs(30), R::NAME, || {
        let shared = shared.clone();
        rt.block_on(async move {
            let mut on_static = STATIC.subscribe();
            let start = on_static.version();
            let mut owned = shared.clone().subscribe_owned();
            let a = rt.spawn(async move {
                for _ in 0..3 {
                    on_static.next_transition().await.unwrap();
                }
                assert_eq!(on_static.version(), start + 3);
            });
            let b = rt.spawn(async move {
                let seen: Vec<u8> = owned
                    .transitions()
                    .take(3)
                    .map(|t| t.unwrap().to)
                    .collect()
                    .await;
                assert_eq!(seen, [1, 2, 3]);
            });
            let setter = std::thread::spawn(move || {
                for v in 1..=3u8 {
                    STATIC.update(|x| Some(x.wrapping_add(v))).unwrap();
                    shared.set(v);
                }
            });
            futures::future::join(a, b).await;
            setter.join().unwrap();
        });
    });
}
on_every_runtime!(subscribers_in_static_tasks);

#[test]
fn an_unseen_subscriber_completes_changed_at_once() {
    let n = Observable::new(5u32);
    let mut sub = n.subscribe();
    assert!(!sub.has_changed());
    sub.mark_unseen();
    assert!(sub.has_changed());
    assert_eq!(sub.version(), 0, "marking does not move the cursor");
    assert_eq!(
        block_on(futures_lite::future::poll_once(sub.changed())),
        Some(5),
        "the first changed() returns the current value without a set"
    );
    assert!(!sub.has_changed());
    assert!(block_on(futures_lite::future::poll_once(sub.changed())).is_none());
    sub.mark_unseen();
    assert_eq!(sub.mark_seen(), 5);
    assert!(!sub.has_changed(), "mark_seen clears the mark");
}

#[test]
fn a_cloned_subscriber_has_seen_what_the_original_has_and_moves_alone() {
    let n = Observable::new(0u8);
    let mut a = n.subscribe();
    n.set(1);
    let mut b = a.clone();
    assert_eq!(b.version(), a.version());
    assert_eq!(block_on(b.changed()), 1);
    assert!(a.has_changed() && !b.has_changed());
    assert_eq!(block_on(a.changed()), 1);
    assert_eq!(a.get(), 1);
    assert!(std::ptr::eq(a.observable(), &n));
    let owned = std::sync::Arc::new(Observable::new(0u8)).subscribe_owned();
    let copy = owned.clone();
    assert!(std::ptr::eq(copy.observable(), owned.observable()));
}
