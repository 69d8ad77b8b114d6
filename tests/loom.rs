//! loom models of the races behind the guarantees. Run with
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=3 cargo test --release --test loom`
//! (see `.ci/run`); atomics come through `src/sync.rs`, so loom explores every
//! interleaving and every weak-memory outcome it models.
#![cfg(loom)]

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

use loom::future::block_on;
use loom::sync::Arc;
use loom::thread;
use stateword::{Observable, State};

#[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
enum Conn {
    Connecting,
    Connected,
    Closing,
    Closed,
}

fn noop_waker() -> Waker {
    const VTABLE: RawWakerVTable = RawWakerVTable::new(
        |_| RawWaker::new(std::ptr::null(), &VTABLE),
        |_| {},
        |_| {},
        |_| {},
    );
    // SAFETY: every vtable function ignores the (null) data pointer.
    unsafe { Waker::from_raw(RawWaker::new(std::ptr::null(), &VTABLE)) }
}

/// Polls once with a waker that does nothing: registers a wait.
fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    Pin::new(f).poll(&mut Context::from_waker(&noop_waker()))
}

/// The registration race: a set racing the first poll of `wait_for`. The wait
/// must complete (loom fails the model if every thread blocks: a lost
/// wakeup), with the value set. Also exercises the setter's fast path, which
/// skips the ledger and the notify list when it sees no waiter.
#[test]
fn set_races_the_first_poll() {
    loom::model(|| {
        let conn = Arc::new(Observable::new(Conn::Connected));
        let setter = {
            let conn = conn.clone();
            thread::spawn(move || {
                conn.set(Conn::Closing);
            })
        };
        assert_eq!(block_on(conn.wait_until(Conn::Closing)), Conn::Closing);
        setter.join().unwrap();
        assert_eq!(conn.waiter_count(), 0);
    });
}

/// A non-matching transition lands while the first poll listens and
/// registers, and the matching one after the waiter parked: it must still be
/// woken.
#[test]
fn a_matching_set_after_a_non_matching_one_races_parking() {
    loom::model(|| {
        let conn = Arc::new(Observable::new(Conn::Connected));
        let setter = {
            let conn = conn.clone();
            thread::spawn(move || {
                conn.set(Conn::Closing);
                conn.set(Conn::Closed);
            })
        };
        assert_eq!(block_on(conn.wait_until(Conn::Closed)), Conn::Closed);
        setter.join().unwrap();
        assert_eq!(conn.waiter_count(), 0);
    });
}

/// A waiter woken by a non-matching transition listens again while the
/// next non-matching one notifies, and the matching one comes after it
/// parked: it must still be woken. This is the model for arming in the
/// acquire that links (`list_lock.rs`, W1 of `waiters.rs`): a listener that
/// sets `PENDING` on its own before it links misses the second setter's
/// notify, which cleared `PENDING`, so the third one skips notifying. (On a
/// first listen the registration, after the link, already rules this out:
/// a setter that sees no waiter does not notify.) It catches the arm-first
/// mutation (`tools/loom-mutations.sh arm-first`).
#[test]
fn a_woken_waiter_listens_again_between_two_setters() {
    loom::model(|| {
        let conn = Arc::new(Observable::new(Conn::Connected));
        let mut wait = std::pin::pin!(conn.wait_until(Conn::Closed));
        assert!(poll_once(&mut wait).is_pending());
        let setter = {
            let conn = conn.clone();
            thread::spawn(move || {
                conn.set(Conn::Connecting);
                conn.set(Conn::Closing);
                conn.set(Conn::Closed);
            })
        };
        assert_eq!(block_on(wait), Conn::Closed);
        setter.join().unwrap();
        assert_eq!(conn.waiter_count(), 0);
    });
}

/// A transient state set by one thread while another thread sets something
/// else: the waiter must complete with the transient state, whichever order
/// the setters' ledger writes and notifications land in.
#[test]
fn racing_setters_and_a_transient_state() {
    loom::model(|| {
        let conn = Arc::new(Observable::new(Conn::Connected));
        let mut wait = std::pin::pin!(conn.wait_until(Conn::Closing));
        assert!(poll_once(&mut wait).is_pending());
        let a = {
            let conn = conn.clone();
            thread::spawn(move || {
                conn.set(Conn::Closing);
                conn.set(Conn::Closed);
            })
        };
        let b = {
            let conn = conn.clone();
            thread::spawn(move || {
                conn.set(Conn::Connecting);
            })
        };
        assert_eq!(block_on(wait), Conn::Closing);
        a.join().unwrap();
        b.join().unwrap();
    });
}

/// One thread enters `Closing`, another moves it on to `Closed` as soon as it
/// sees it: the entry must be in the ledger before the first thread's
/// notification, or the waiter can wake (on the second thread's notify), miss
/// it, and sleep forever.
#[test]
fn a_state_left_by_another_thread() {
    loom::model(|| {
        let conn = Arc::new(Observable::new(Conn::Connected));
        let mut wait = std::pin::pin!(conn.wait_until(Conn::Closing));
        assert!(poll_once(&mut wait).is_pending());
        let enter = {
            let conn = conn.clone();
            thread::spawn(move || {
                conn.set(Conn::Closing);
            })
        };
        let leave = {
            let conn = conn.clone();
            thread::spawn(move || {
                while conn.compare_exchange(Conn::Closing, Conn::Closed).is_err() {
                    thread::yield_now();
                }
            })
        };
        assert_eq!(block_on(wait), Conn::Closing);
        enter.join().unwrap();
        leave.join().unwrap();
    });
}

/// The ledger's version boundary: an entry completed before the wait
/// registered is not reported; one after it always is.
#[test]
fn entries_before_registration_are_not_reported() {
    loom::model(|| {
        let conn = Arc::new(Observable::new(Conn::Connected));
        let setter = {
            let conn = conn.clone();
            thread::spawn(move || {
                conn.set(Conn::Closing); // version 1
                conn.set(Conn::Connected); // version 2
            })
        };
        let before = conn.version();
        let mut wait = std::pin::pin!(conn.wait_for_next(|s| s == Conn::Closing));
        let first = poll_once(&mut wait);
        let after = conn.version();
        setter.join().unwrap();
        let outcome = match first {
            Poll::Ready(v) => Some(v),
            Poll::Pending => match poll_once(&mut wait) {
                Poll::Ready(v) => Some(v),
                Poll::Pending => None,
            },
        };
        if after == 0 {
            // Registered before the Closing entry: it must be reported.
            assert_eq!(outcome, Some(Conn::Closing));
        }
        if before == 2 {
            // Registered after both sets: nothing to report.
            assert_eq!(outcome, None);
        }
        if let Some(v) = outcome {
            assert_eq!(v, Conn::Closing);
        }
    });
}

/// `update` under contention: every increment lands exactly once, each with
/// its own version; `compare_exchange` from the same value has one winner.
#[test]
fn updates_and_compare_exchange_under_contention() {
    loom::model(|| {
        let n = Arc::new(Observable::new(0u8));
        let threads: Vec<_> = (0..2)
            .map(|i| {
                let n = n.clone();
                thread::spawn(move || {
                    let won = n.compare_exchange(0, 10 + i).is_ok();
                    n.update(|v| Some(v + 1)).unwrap();
                    won
                })
            })
            .collect();
        let wins = threads
            .into_iter()
            .map(|t| t.join().unwrap())
            .filter(|&won| won)
            .count();
        assert_eq!(wins, 1);
        let v = n.get();
        assert!(v == 12 || v == 13, "{v}");
        assert_eq!(n.version(), 3);
    });
}

/// One wait is dropped while a set runs, at whatever point loom picks; the
/// other must still be woken and complete, and nothing stays registered.
#[test]
fn a_dropped_wait_steals_no_wakeup() {
    loom::model(|| {
        let conn = Arc::new(Observable::new(Conn::Connected));
        let dropper = {
            let conn = conn.clone();
            thread::spawn(move || {
                let mut doomed = Box::pin(conn.wait_until(Conn::Closed));
                let _ = poll_once(&mut doomed);
                drop(doomed);
            })
        };
        let setter = {
            let conn = conn.clone();
            thread::spawn(move || {
                conn.set(Conn::Closed);
            })
        };
        assert_eq!(block_on(conn.wait_until(Conn::Closed)), Conn::Closed);
        dropper.join().unwrap();
        setter.join().unwrap();
        assert_eq!(conn.waiter_count(), 0);
    });
}

/// `changed` racing two transitions: it completes, with one of the values
/// set after it registered.
#[test]
fn changed_races_setters() {
    loom::model(|| {
        let n = Arc::new(Observable::new(0u32));
        let mut changed = std::pin::pin!(n.changed());
        assert!(poll_once(&mut changed).is_pending());
        let setter = {
            let n = n.clone();
            thread::spawn(move || {
                n.set(1);
                n.set(2);
            })
        };
        let v = block_on(changed);
        assert!(v == 1 || v == 2);
        setter.join().unwrap();
    });
}

/// `Subscriber::changed` in a loop racing two transitions, from its first
/// poll on: every change is reported, as one completion or two, and the
/// second call never sleeps through a transition that landed after the
/// first returned. The subscriber's waits run on the same engine as the
/// observable's, so this model covers that engine with a cursor check.
#[test]
fn subscriber_changed_races_setters() {
    loom::model(|| {
        let n = Arc::new(Observable::new(0u32));
        let mut sub = n.subscribe();
        let setter = {
            let n = n.clone();
            thread::spawn(move || {
                n.set(1);
                n.set(2);
            })
        };
        let first = block_on(sub.changed());
        assert_eq!(
            u64::from(first),
            sub.version(),
            "the value and the cursor disagree"
        );
        if sub.version() < 2 {
            assert_eq!(block_on(sub.changed()), 2);
        }
        setter.join().unwrap();
        assert_eq!(sub.version(), 2);
        assert_eq!(n.waiter_count(), 0);
    });
}

/// The history ring: a writer filling a slot while a subscriber reads it, and
/// a ring of one slot that the writer laps. Whatever the interleaving, the
/// subscriber gets each transition whole (from, to and version agree) or an
/// exact `Lagged`, and the counts add up.
#[test]
fn history_writer_and_reader_on_the_same_slot() {
    loom::model(|| {
        let n: Arc<Observable<u8, 1>> = Arc::new(Observable::with_history(0));
        let mut sub = n.subscribe();
        let setter = {
            let n = n.clone();
            thread::spawn(move || {
                n.set(1);
                n.set(2);
            })
        };
        let mut delivered = 0;
        let mut missed = 0;
        while delivered + missed < 2 {
            match block_on(sub.next_transition()) {
                Ok(t) => {
                    assert_eq!(u64::from(t.to), t.version, "a torn slot: {t:?}");
                    assert_eq!(u64::from(t.from), t.version - 1, "a torn slot: {t:?}");
                    delivered += 1;
                }
                Err(lag) => {
                    assert!(lag.missed > 0, "a lag report that skipped nothing");
                    missed += lag.missed;
                }
            }
        }
        assert_eq!(delivered + missed, 2);
        setter.join().unwrap();
        assert_eq!(sub.try_next_transition(), None);
    });
}

/// Exact waits on an integer with history: the first matching value after
/// registration, though a second setter moves the state on at once.
#[test]
fn exact_integer_wait_with_history() {
    loom::model(|| {
        let n: Arc<Observable<u32, 4>> = Arc::new(Observable::with_history(0));
        let mut wait = std::pin::pin!(n.wait_for(|v| v == 1));
        assert!(poll_once(&mut wait).is_pending());
        let enter = {
            let n = n.clone();
            thread::spawn(move || {
                n.set(1);
            })
        };
        let leave = {
            let n = n.clone();
            thread::spawn(move || {
                while n.compare_exchange(1, 2).is_err() {
                    thread::yield_now();
                }
            })
        };
        assert_eq!(block_on(wait), 1);
        enter.join().unwrap();
        leave.join().unwrap();
    });
}

/// A state whose variants carry data, for the two models below.
#[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
enum Link {
    Down,
    Closed { code: u8 },
}

/// A transient data-carrying entry races a second entry of the same
/// variant from another thread: the waiter completes (no lost wakeup) with
/// one of the two entries, payload intact, never the state it moved on to.
#[test]
fn a_transient_payload_races_a_second_entry_of_its_variant() {
    loom::model(|| {
        let link = Arc::new(Observable::new(Link::Down));
        let mut wait = std::pin::pin!(link.wait_for(|s| matches!(s, Link::Closed { .. })));
        assert!(poll_once(&mut wait).is_pending());
        // One entry left at once, and a second entry of the same variant.
        let transient = {
            let link = link.clone();
            thread::spawn(move || {
                link.set(Link::Closed { code: 1 });
                link.set(Link::Down);
            })
        };
        let second = {
            let link = link.clone();
            thread::spawn(move || {
                link.set(Link::Closed { code: 2 });
            })
        };
        let seen = block_on(wait);
        assert!(
            matches!(seen, Link::Closed { code: 1 | 2 }),
            "returned {seen:?}, not an entry"
        );
        transient.join().unwrap();
        second.join().unwrap();
    });
}

/// The documented line for a predicate on the data: the latest entry of the
/// variant since the wait began is always seen, with its payload, though
/// another thread moves the state on meanwhile.
#[test]
fn the_latest_payload_of_a_variant_is_seen() {
    loom::model(|| {
        let link = Arc::new(Observable::new(Link::Down));
        let mut wait = std::pin::pin!(link.wait_for(|s| s == Link::Closed { code: 2 }));
        assert!(poll_once(&mut wait).is_pending());
        let entries = {
            let link = link.clone();
            thread::spawn(move || {
                link.set(Link::Closed { code: 1 });
                link.set(Link::Closed { code: 2 });
            })
        };
        let leave = {
            let link = link.clone();
            thread::spawn(move || {
                while link
                    .compare_exchange(Link::Closed { code: 2 }, Link::Down)
                    .is_err()
                {
                    thread::yield_now();
                }
            })
        };
        assert_eq!(block_on(wait), Link::Closed { code: 2 });
        entries.join().unwrap();
        leave.join().unwrap();
    });
}

/// A setter whose entry was committed before the wait began records it
/// late, after a second entry of the same variant made after the wait began
/// (and already left): its swap displaces that later entry, and it must put
/// it back before it notifies, or the waiter sees only the entry from
/// before its window and never completes.
#[test]
fn a_late_record_puts_a_later_entry_of_its_variant_back() {
    loom::model(|| {
        let conn = Arc::new(Observable::new(Conn::Connected));
        let early = {
            let conn = conn.clone();
            thread::spawn(move || {
                conn.set(Conn::Closing); // version 1; its record may come last
            })
        };
        block_on(conn.wait_until(Conn::Closing));
        assert_eq!(
            conn.compare_exchange(Conn::Closing, Conn::Connected),
            Ok(Conn::Closing)
        );
        // v0 = 2: the entry at 1 is before the window.
        let mut wait = std::pin::pin!(conn.wait_until(Conn::Closing));
        assert!(poll_once(&mut wait).is_pending());
        conn.set(Conn::Closing); // 3: inside the window
        conn.set(Conn::Connected); // 4
        assert_eq!(block_on(wait), Conn::Closing);
        early.join().unwrap();
    });
}

/// A setter leaves an entry out of the ledger only when every registered
/// window already holds an earlier entry of its one-value variant. A wait
/// that registers after that earlier entry publishes its window start
/// under the list's lock, before it is counted, so a setter that sees it
/// counted records the next entry for it. Publishing after the count (the
/// mutation `publish-after-count`) lets the setter read the old start and
/// leave `Closing` out, and the wait never completes.
#[test]
fn a_wait_that_begins_after_an_entry_gets_the_next_one_recorded() {
    loom::model(|| {
        let conn = Arc::new(Observable::new(Conn::Connected));
        // Registered throughout, its window from 0 holds every entry.
        let mut early = std::pin::pin!(conn.wait_until(Conn::Closed));
        assert!(poll_once(&mut early).is_pending());
        conn.set(Conn::Closing); // 1: recorded
        conn.set(Conn::Connected); // 2
        let setter = {
            let conn = conn.clone();
            thread::spawn(move || {
                while conn.waiter_count() < 2 {
                    thread::yield_now();
                }
                conn.set(Conn::Closing); // 3: the late window does not hold 1
                conn.set(Conn::Connected); // 4
            })
        };
        // v0 = 2: the setter waits for this registration.
        let mut late = std::pin::pin!(conn.wait_until(Conn::Closing));
        assert!(poll_once(&mut late).is_pending());
        assert_eq!(block_on(late), Conn::Closing);
        setter.join().unwrap();
    });
}

/// A setter delayed between its CAS and its ledger step while the state
/// moves on and a new wait registers, publishing a window start past the
/// delayed entry, still records that entry for a wait whose window holds
/// it. Measured from a start ahead of the entry (the mutation
/// `newest-ahead` drops that check), an empty slot looks like a held
/// entry: `Closing` is left out, and the first wait never completes.
/// (No thread spins here: loom runs a thread that yields only once the
/// others are blocked or done, so a spin would hide the delay.)
#[test]
fn a_setter_delayed_past_a_new_registration_still_records() {
    delayed_setter_records(Conn::Connected, Conn::Closing, Conn::Closed);
}

/// The same with `Link`, whose 54 version bits put half a cycle in reach:
/// the setter counts the newest start back from the word
/// (`ledger::start_at_or_before`). Read Relaxed, a start published by the
/// late wait can be ahead of the word the setter loads next, and counted
/// back from it, it looks a cycle old (the mutation `start-relaxed`).
#[test]
fn a_delayed_setter_counts_the_newest_start_back_from_the_word() {
    let never = Link::Closed { code: 9 };
    delayed_setter_records(Link::Closed { code: 1 }, Link::Down, never);
}

/// One setter enters `entered` while another moves the state back to
/// `from` if it finds `entered` there, and a wait for `never` registers
/// whenever it runs: the wait for `entered`, registered from the start,
/// completes.
fn delayed_setter_records<S: State + std::fmt::Debug>(from: S, entered: S, never: S) {
    loom::model(move || {
        let observable = Arc::new(Observable::new(from));
        let mut early = std::pin::pin!(observable.wait_until(entered));
        assert!(poll_once(&mut early).is_pending()); // its window starts at 0
        let setter = {
            let observable = observable.clone();
            thread::spawn(move || {
                observable.set(entered);
            })
        };
        // Moves the state on if `entered` is in the word, recorded or not yet.
        let mover = {
            let observable = observable.clone();
            thread::spawn(move || {
                let _ = observable.compare_exchange(entered, from);
            })
        };
        // Registers whenever it runs: after both, it publishes a start past
        // the entry.
        let mut late = std::pin::pin!(observable.wait_until(never));
        assert!(poll_once(&mut late).is_pending());
        assert_eq!(block_on(early), entered);
        setter.join().unwrap();
        mover.join().unwrap();
    });
}
