//! Richer states: variants that carry data, newtypes, finite and
//! level-triggered structs, `Option` of an integer. Per shape: no missed
//! entry (with its payload), predicates on both sides of the documented
//! line, equal-value no-op, ordering, cancel; and the encodings themselves.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::waker::Probe;
use common::{register, within, BlockFor};
use futures_lite::future::{block_on, poll_once};
use stateword::{Observable, State};

/// A connection whose states carry a little data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
enum Conn {
    Disconnected,
    Connecting,
    Connected { peer: u8 },
    Closing,
    Closed { code: u16 },
}

/// A newtype: level-triggered, like the integer inside.
#[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
struct Level(u8);

#[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
enum Mode {
    Idle,
    Fast,
    Slow,
}

/// Finite: 2 × 3 values, one ledger variant each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
#[state(finite)]
struct Link {
    up: bool,
    mode: Mode,
}

/// Not finite (an integer field): level-triggered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
struct Reading {
    valid: bool,
    celsius: i16,
}

static STARTED_CLOSED: Observable<Conn> = Observable::new(Conn::Closed { code: 3 });

fn closed(s: Conn) -> bool {
    matches!(s, Conn::Closed { .. })
}

#[test]
fn each_shape_says_how_wide_it_is_and_what_its_ledger_holds() {
    assert_eq!(Conn::BITS, 3 + 16, "the variant, then the widest payload");
    assert_eq!((Conn::VARIANTS, Conn::FINITE), (5, false));
    assert_eq!(Conn::from_index(0), Some(Conn::Disconnected));
    assert_eq!(Conn::from_index(2), None, "Connected carries data");
    assert_eq!(Conn::Closed { code: 9 }.index(), 4);

    assert_eq!((Level::BITS, Level::VARIANTS), (8, 0));
    assert_eq!((Link::BITS, Link::VARIANTS, Link::FINITE), (3, 6, true));
    assert_eq!((Reading::BITS, Reading::VARIANTS), (17, 0));
    assert_eq!(Option::<u16>::BITS, 17);
    assert_eq!(Option::<u16>::VARIANTS, 2);
    assert_eq!(Option::<Link>::VARIANTS, 7);

    // Every index of a finite struct is one value, and back.
    for i in 0..Link::VARIANTS {
        assert_eq!(Link::from_index(i).map(State::index), Some(i));
    }
    assert_eq!(Link::from_index(6), None);
}

#[test]
fn every_value_round_trips_and_any_bits_decode_without_panicking() {
    let conns = [
        Conn::Disconnected,
        Conn::Connecting,
        Conn::Connected { peer: 255 },
        Conn::Closing,
        Conn::Closed { code: u16::MAX },
        Conn::Closed { code: 0 },
    ];
    for c in conns {
        assert!(c.encode() < 1 << Conn::BITS);
        assert_eq!(Conn::decode(c.encode()), c);
    }
    let readings = [
        Reading {
            valid: true,
            celsius: -40,
        },
        Reading {
            valid: false,
            celsius: i16::MAX,
        },
    ];
    for r in readings {
        assert_eq!(Reading::decode(r.encode()), r);
    }
    for p in [None, Some(0u16), Some(u16::MAX)] {
        assert_eq!(Option::<u16>::decode(p.encode()), p);
    }
    // Bits no value encodes to (variant 5 to 7 of `Conn`, say) still decode.
    let tried = if cfg!(miri) { 1u64 << 6 } else { 1 << 12 };
    for bits in (0..tried).chain([u64::MAX, 1 << 40]) {
        let _ = (
            Conn::decode(bits),
            Link::decode(bits),
            Reading::decode(bits),
        );
        let _ = (Option::<u16>::decode(bits), Level::decode(bits));
    }
}

#[test]
fn a_static_whose_initial_value_carries_data_is_encoded_at_first_access() {
    assert_eq!(STARTED_CLOSED.get(), Conn::Closed { code: 3 });
    assert_eq!(STARTED_CLOSED.version(), 0);
    // Setting the initial value is no transition...
    STARTED_CLOSED.set(Conn::Closed { code: 3 });
    assert_eq!(STARTED_CLOSED.version(), 0);
    // ...a different payload of the same variant is one.
    STARTED_CLOSED.set(Conn::Closed { code: 4 });
    assert_eq!(STARTED_CLOSED.version(), 1);
    // An equal set or compare-exchange as the very first access (the word
    // still "not yet encoded") is no transition either.
    let first_set = Observable::new(Some(7u16));
    assert_eq!(first_set.set(Some(7)), Some(7));
    assert_eq!(first_set.version(), 0);
    let first_cas = Observable::new(Conn::Connected { peer: 9 });
    let same = Conn::Connected { peer: 9 };
    assert_eq!(first_cas.compare_exchange(same, same), Ok(same));
    assert_eq!(first_cas.version(), 0);
    // A differing set as the very first access is one transition, from the
    // initial value.
    let first_change = Observable::new(Some(7u16));
    assert_eq!(first_change.set(None), Some(7));
    assert_eq!((first_change.get(), first_change.version()), (None, 1));
    // Racing first accesses agree on the initial value.
    let fresh = Arc::new(Observable::new(Some(7u16)));
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let fresh = fresh.clone();
            std::thread::spawn(move || (fresh.get(), fresh.version()))
        })
        .collect();
    for r in readers {
        assert_eq!(r.join().unwrap(), (Some(7), 0));
    }
}

#[test]
fn a_transient_data_carrying_entry_is_returned_with_its_payload() {
    let conn = Observable::new(Conn::Connected { peer: 1 });
    block_on(async {
        let mut drain = std::pin::pin!(conn.wait_for(closed));
        register(&mut drain).await;
        conn.set(Conn::Closed { code: 1006 });
        conn.set(Conn::Connecting);
        conn.set(Conn::Connected { peer: 2 });
        assert_eq!(
            poll_once(&mut drain).await,
            Some(Conn::Closed { code: 1006 })
        );
    });
}

/// The documented line, both sides: without a ring a predicate on a
/// variant's data sees the latest entry of that variant since the wait
/// began; with one, every entry.
#[test]
fn a_payload_predicate_sees_the_latest_entry_of_its_variant_or_every_entry_with_a_ring() {
    let conn = Observable::new(Conn::Disconnected);
    let ring: Observable<Conn, 8> = Observable::with_history(Conn::Disconnected);
    block_on(async {
        let code_1 = |s| s == Conn::Closed { code: 1 };
        let code_2 = |s| s == Conn::Closed { code: 2 };
        let mut first = std::pin::pin!(conn.wait_for(code_1));
        let mut latest = std::pin::pin!(conn.wait_for(code_2));
        let mut exact = std::pin::pin!(ring.wait_for(code_1));
        register(&mut first).await;
        register(&mut latest).await;
        register(&mut exact).await;
        for s in [
            Conn::Closed { code: 1 },
            Conn::Closed { code: 2 },
            Conn::Disconnected,
        ] {
            conn.set(s);
            ring.set(s);
        }
        // The ledger's `Closed` slot holds code 2 only.
        assert_eq!(poll_once(&mut first).await, None);
        assert_eq!(poll_once(&mut latest).await, Some(Conn::Closed { code: 2 }));
        assert_eq!(poll_once(&mut exact).await, Some(Conn::Closed { code: 1 }));
        // The variant itself is exact either way, and the next entry counts.
        conn.set(Conn::Closed { code: 1 });
        conn.set(Conn::Connecting);
        assert_eq!(poll_once(&mut first).await, Some(Conn::Closed { code: 1 }));
    });
}

#[test]
fn a_finite_struct_is_exact_for_any_predicate() {
    let link = Observable::new(Link {
        up: false,
        mode: Mode::Idle,
    });
    block_on(async {
        let mut fast_up = std::pin::pin!(link.wait_for(|l| l.up && l.mode == Mode::Fast));
        let mut slow = std::pin::pin!(link.wait_for(|l| l.mode == Mode::Slow));
        register(&mut fast_up).await;
        register(&mut slow).await;
        link.set(Link {
            up: true,
            mode: Mode::Fast,
        });
        link.set(Link {
            up: true,
            mode: Mode::Slow,
        });
        link.set(Link {
            up: false,
            mode: Mode::Idle,
        });
        assert_eq!(
            poll_once(&mut fast_up).await,
            Some(Link {
                up: true,
                mode: Mode::Fast
            })
        );
        assert_eq!(
            poll_once(&mut slow).await,
            Some(Link {
                up: true,
                mode: Mode::Slow
            })
        );
    });
}

#[test]
fn option_of_an_integer_is_exact_for_is_some_and_latest_entry_for_its_value() {
    let port = Observable::new(None::<u16>);
    block_on(async {
        let mut bound = std::pin::pin!(port.wait_for(|p| p.is_some()));
        let mut some = std::pin::pin!(port.wait_for_some(|_| true));
        let mut eighty = std::pin::pin!(port.wait_for(|p| p == Some(80)));
        register(&mut bound).await;
        register(&mut some).await;
        register(&mut eighty).await;
        port.set(Some(80));
        port.set(Some(8080));
        port.set(None); // unbound again before anyone ran
                        // The `Some` variant was entered: exact. Its data: the latest entry.
        assert_eq!(poll_once(&mut bound).await, Some(Some(8080)));
        assert_eq!(poll_once(&mut some).await, Some(8080));
        assert_eq!(poll_once(&mut eighty).await, None);
    });
}

/// Level-triggered shapes check the value when they run: a value held
/// briefly is missed without a ring, and seen with one.
#[test]
fn newtypes_and_structs_of_integers_are_level_triggered_and_exact_with_a_ring() {
    let level = Observable::new(Level(0));
    let logged: Observable<Reading, 4> = Observable::with_history(Reading {
        valid: false,
        celsius: 0,
    });
    block_on(async {
        let mut high = std::pin::pin!(level.wait_for(|l| l.0 > 5));
        let mut hot = std::pin::pin!(logged.wait_for(|r| r.valid && r.celsius > 90));
        let mut changed = std::pin::pin!(level.changed());
        register(&mut high).await;
        register(&mut hot).await;
        register(&mut changed).await;
        level.set(Level(7));
        level.set(Level(1));
        logged.set(Reading {
            valid: true,
            celsius: 95,
        });
        logged.set(Reading {
            valid: true,
            celsius: 20,
        });
        assert_eq!(poll_once(&mut high).await, None, "level-triggered");
        assert_eq!(
            poll_once(&mut changed).await,
            Some(Level(1)),
            "changed is exact"
        );
        assert_eq!(
            poll_once(&mut hot).await,
            Some(Reading {
                valid: true,
                celsius: 95
            })
        );
    });
}

#[test]
fn an_equal_value_is_a_no_op_for_every_shape() {
    fn check<S: State + std::fmt::Debug>(initial: S) {
        let o = Observable::new(initial);
        let mut changed = Probe::new(o.changed());
        assert!(changed.poll().is_pending());
        assert_eq!(o.set(initial), initial);
        assert_eq!(o.compare_exchange(initial, initial), Ok(initial));
        assert_eq!(o.version(), 0);
        assert!(changed.poll().is_pending());
        assert_eq!(
            changed.wakes(),
            0,
            "{initial:?}: an equal set woke a waiter"
        );
    }
    check(Conn::Closed { code: 1000 });
    check(Conn::Connected { peer: 0 });
    check(Level(3));
    check(Link {
        up: true,
        mode: Mode::Slow,
    });
    check(Reading {
        valid: true,
        celsius: -1,
    });
    check(Some(443u16));
    check(None::<u16>);
}

#[test]
fn transitions_keep_their_payloads_in_order() {
    let conn: Observable<Conn, 8> = Observable::with_history(Conn::Disconnected);
    let port: Observable<Option<u16>, 8> = Observable::with_history(None);
    let mut conns = conn.subscribe();
    let mut ports = port.subscribe();
    let path = [
        Conn::Connecting,
        Conn::Connected { peer: 4 },
        Conn::Closed { code: 1 },
        Conn::Closed { code: 2 },
        Conn::Disconnected,
    ];
    for s in path {
        conn.set(s);
    }
    for p in [Some(1), Some(2), None, Some(2)] {
        port.set(p);
    }
    let mut from = Conn::Disconnected;
    for (i, to) in path.into_iter().enumerate() {
        let t = conns.try_next_transition().unwrap().unwrap();
        assert_eq!((t.from, t.to, t.version), (from, to, i as u64 + 1));
        from = to;
    }
    let seen: Vec<_> = std::iter::from_fn(|| ports.try_next_transition())
        .map(|t| t.unwrap().to)
        .collect();
    assert_eq!(seen, [Some(1), Some(2), None, Some(2)]);
}

#[test]
fn dropping_a_wait_on_any_shape_leaves_nothing_registered() {
    let conn = Observable::new(Conn::Disconnected);
    let link = Observable::new(Link {
        up: false,
        mode: Mode::Idle,
    });
    let port = Observable::new(None::<u16>);
    let reading = Observable::new(Reading {
        valid: false,
        celsius: 0,
    });
    {
        let mut a = Probe::new(conn.wait_for(closed));
        let mut b = Probe::new(link.wait_for(|l| l.up));
        let mut c = Probe::new(port.wait_for_some(|p| p > 1024));
        let mut d = Probe::new(reading.wait_for(|r| r.valid));
        assert!(a.poll().is_pending() && b.poll().is_pending());
        assert!(c.poll().is_pending() && d.poll().is_pending());
        assert_eq!(conn.waiter_count() + link.waiter_count(), 2);
        assert_eq!(port.waiter_count() + reading.waiter_count(), 2);
    }
    for count in [
        conn.waiter_count(),
        link.waiter_count(),
        port.waiter_count(),
        reading.waiter_count(),
    ] {
        assert_eq!(count, 0);
    }
    conn.set(Conn::Closed { code: 1 });
    assert_eq!(conn.get(), Conn::Closed { code: 1 });
}

/// Threads race transient entries of one data-carrying variant: each round
/// a setter waits until every waiter is counted, then sets
/// `Closed { code: round }` and leaves it at once. Every waiter returns that
/// round's code.
#[test]
#[cfg_attr(
    miri,
    ignore = "hundreds of rounds across threads: too slow under Miri"
)]
fn racing_threads_see_each_transient_payload() {
    const WAITERS: usize = 3;
    const ROUNDS: u16 = 200;
    let conn = Arc::new(Observable::new(Conn::Disconnected));
    within(Duration::from_secs(60), "transient payloads", || {
        for round in 1..=ROUNDS {
            let waiters: Vec<_> = (0..WAITERS)
                .map(|_| {
                    let conn = conn.clone();
                    std::thread::spawn(move || conn.block_for(closed))
                })
                .collect();
            while conn.waiter_count() < WAITERS {
                std::thread::yield_now();
            }
            conn.set(Conn::Closed { code: round });
            conn.set(Conn::Connected { peer: round as u8 });
            conn.set(Conn::Disconnected);
            for w in waiters {
                assert_eq!(w.join().unwrap(), Conn::Closed { code: round });
            }
        }
    });
    assert_eq!(conn.waiter_count(), 0);
}

/// A wait whose history ring has overwritten what it still needed falls
/// back on the ledger from where its scan stopped: the entry it wants, made
/// after that, is found; one from before the wait began is not.
#[test]
fn a_lagged_wait_takes_the_ledger_from_where_its_scan_stopped() {
    let ring: Observable<Conn, 2> = Observable::with_history(Conn::Closed { code: 2 });
    ring.set(Conn::Disconnected); // 1: an entry of code 2 before the wait
    block_on(async {
        let mut wait = std::pin::pin!(ring.wait_for(|s| s == Conn::Closed { code: 2 }));
        register(&mut wait).await;
        ring.set(Conn::Closed { code: 1 }); // 2

        // The poll scans transition 2, which does not match.
        assert_eq!(poll_once(&mut wait).await, None);
        for s in [
            Conn::Disconnected,       // 3: overwritten before the next poll
            Conn::Closed { code: 2 }, // 4: what the wait wants
            Conn::Disconnected,       // 5
            Conn::Connecting,         // 6
        ] {
            ring.set(s);
        }
        assert_eq!(poll_once(&mut wait).await, Some(Conn::Closed { code: 2 }));
        // A second wait, after all that, does not find the entry at 4.
        let mut later = std::pin::pin!(ring.wait_for(|s| s == Conn::Closed { code: 2 }));
        register(&mut later).await;
        for s in [
            Conn::Closed { code: 1 },
            Conn::Disconnected,
            Conn::Connecting,
        ] {
            ring.set(s);
        }
        assert_eq!(poll_once(&mut later).await, None);
    });
}

/// The same checks on every shape, with three values `a`, `b`, `c`: the
/// state goes `a → b → c`, so `b` is transient.
fn every_guarantee_on<S: State + std::fmt::Debug>(a: S, b: S, c: S) {
    let what = format!("{a:?} -> {b:?} -> {c:?}");
    // No missed entry, with its payload: exact with a ring on every shape;
    // without one, for shapes with a ledger (the one entry of b's variant),
    // level-triggered otherwise.
    let plain = Observable::new(a);
    let ring: Observable<S, 4> = Observable::with_history(a);
    let mut sub = ring.subscribe();
    block_on(async {
        let mut on_plain = std::pin::pin!(plain.wait_for(|s| s == b));
        let mut on_ring = std::pin::pin!(ring.wait_for(|s| s == b));
        register(&mut on_plain).await;
        register(&mut on_ring).await;
        for o in [b, c] {
            plain.set(o);
            ring.set(o);
        }
        // The ledger keeps b unless c entered b's variant after it (a
        // variant that carries data keeps its latest entry only).
        let kept = S::VARIANTS > 0 && (S::FINITE || b.index() != c.index());
        assert_eq!(
            poll_once(&mut on_plain).await,
            kept.then_some(b),
            "{what}, no ring"
        );
        assert_eq!(poll_once(&mut on_ring).await, Some(b), "{what}, ring");
    });
    // Ordering: the ring's subscriber sees both transitions, in order.
    let first = sub.try_next_transition().unwrap().unwrap();
    let second = sub.try_next_transition().unwrap().unwrap();
    assert_eq!((first.from, first.to, first.version), (a, b, 1), "{what}");
    assert_eq!(
        (second.from, second.to, second.version),
        (b, c, 2),
        "{what}"
    );
    // Cancel: a registered wait dropped leaves nothing behind.
    {
        let mut w = Probe::new(plain.wait_for(move |s| s != c));
        assert!(w.poll().is_pending(), "{what}");
        assert_eq!(plain.waiter_count(), 1);
    }
    assert_eq!(plain.waiter_count(), 0, "{what}");
}

#[test]
fn every_shape_keeps_every_guarantee() {
    every_guarantee_on(
        Conn::Connected { peer: 1 },
        Conn::Closed { code: 1006 },
        Conn::Connected { peer: 2 },
    );
    every_guarantee_on(Level(1), Level(9), Level(2));
    every_guarantee_on(
        Link {
            up: false,
            mode: Mode::Idle,
        },
        Link {
            up: true,
            mode: Mode::Fast,
        },
        Link {
            up: true,
            mode: Mode::Slow,
        },
    );
    every_guarantee_on(
        Reading {
            valid: false,
            celsius: 0,
        },
        Reading {
            valid: true,
            celsius: 95,
        },
        Reading {
            valid: true,
            celsius: 20,
        },
    );
    every_guarantee_on(None, Some(8080u16), None);
    // b and c in one ledger variant: the ring sees b, the ledger c only.
    every_guarantee_on(Some(1u16), Some(2), Some(3));
    every_guarantee_on(
        Conn::Disconnected,
        Conn::Closed { code: 1 },
        Conn::Closed { code: 2 },
    );
}
