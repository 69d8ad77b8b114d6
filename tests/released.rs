//! A notify that surely completes a wait ends its registration: the setter
//! uncounts it, once for all it woke, and the wait does not uncount itself
//! when it completes or is dropped. Which waits a transition releases: a
//! `changed` wait on any transition; a wait on an observable without a
//! history ring, on an entry of a ledger variant with one value that
//! matches. Every other wait stays registered until it runs, and none of
//! this changes what a wait returns.

mod common;

use std::task::Poll;

use common::waker::Probe;
use common::Conn;
use stateword::{Observable, State};

#[test]
fn a_notify_ends_the_registration_of_the_waits_it_completes() {
    let conn = Observable::new(Conn::Connected);
    let mut closing = Probe::new(conn.wait_until(Conn::Closing));
    let mut closed = Probe::new(conn.wait_until(Conn::Closed));
    let mut changed = Probe::new(conn.changed());
    assert!(closing.poll().is_pending());
    assert!(closed.poll().is_pending());
    assert!(changed.poll().is_pending());
    assert_eq!(conn.waiter_count(), 3);

    conn.set(Conn::Closing);
    // Released by the notify, before they run: only `closed` still waits.
    assert_eq!(conn.waiter_count(), 1);
    assert_eq!(
        (closing.wakes(), closed.wakes(), changed.wakes()),
        (1, 1, 1)
    );
    assert_eq!(closing.poll(), Poll::Ready(Conn::Closing));
    assert_eq!(changed.poll(), Poll::Ready(Conn::Closing));
    assert!(closed.poll().is_pending());
    assert_eq!(conn.waiter_count(), 1);

    conn.set(Conn::Closed);
    assert_eq!(conn.waiter_count(), 0);
    assert_eq!(closed.poll(), Poll::Ready(Conn::Closed));
    assert_eq!(conn.waiter_count(), 0);
}

/// Dropped before it runs, a released wait takes nothing off the count: the
/// other wait stays registered, and sees a transient state.
#[test]
fn a_released_wait_dropped_before_it_runs_leaves_the_others_registered() {
    let conn = Observable::new(Conn::Connected);
    let mut released = Probe::new(conn.wait_until(Conn::Closing));
    let mut other = Probe::new(conn.wait_until(Conn::Closed));
    assert!(released.poll().is_pending());
    assert!(other.poll().is_pending());
    conn.set(Conn::Closing);
    drop(released);
    assert_eq!(conn.waiter_count(), 1);
    conn.set(Conn::Closed);
    conn.set(Conn::Connecting); // gone before `other` runs
    assert_eq!(other.poll(), Poll::Ready(Conn::Closed));
    assert_eq!(conn.waiter_count(), 0);
}

/// A wait released by one transition and run after several others returns
/// a matching value entered since it began (here the one that released it:
/// the later entry was not recorded, as nobody else waited).
#[test]
fn a_released_wait_returns_a_matching_entry_after_later_transitions() {
    let conn = Observable::new(Conn::Connected);
    let mut wait = Probe::new(conn.wait_for(|s| s == Conn::Closing || s == Conn::Disconnected));
    assert!(wait.poll().is_pending());
    conn.set(Conn::Closing);
    assert_eq!(conn.waiter_count(), 0);
    conn.set(Conn::Disconnected);
    conn.set(Conn::Connecting);
    assert_eq!(wait.poll(), Poll::Ready(Conn::Closing));
}

/// An entry of a variant that carries data may not match, so its notify
/// releases nobody; the variant without data does.
#[test]
fn a_wait_on_a_variant_with_data_stays_registered_until_it_runs() {
    let slot = Observable::new(Some(1u16));
    let mut three = Probe::new(slot.wait_for(|v| v == Some(3)));
    let mut empty = Probe::new(slot.wait_for(|v| v.is_none()));
    assert!(three.poll().is_pending());
    assert!(empty.poll().is_pending());
    slot.set(Some(3));
    assert_eq!(slot.waiter_count(), 2);
    assert_eq!(three.poll(), Poll::Ready(Some(3)));
    assert_eq!(slot.waiter_count(), 1);
    assert!(empty.poll().is_pending());
    slot.set(None);
    assert_eq!(slot.waiter_count(), 0);
    assert_eq!(empty.poll(), Poll::Ready(None));
}

/// A level-triggered state has no ledger: its waits look at the word alone,
/// so only `changed` is released.
#[test]
fn a_level_wait_stays_registered_and_changed_is_released() {
    let level = Observable::new(0u8);
    let mut above = Probe::new(level.wait_for(|n| n > 5));
    let mut changed = Probe::new(level.changed());
    assert!(above.poll().is_pending());
    assert!(changed.poll().is_pending());
    level.set(6);
    assert_eq!(level.waiter_count(), 1);
    assert_eq!(changed.poll(), Poll::Ready(6));
    assert_eq!(above.poll(), Poll::Ready(6));
    assert_eq!(level.waiter_count(), 0);
}

/// With a history ring a wait scans the ring first, which may stop at a
/// transition whose ring write has not landed: it is not released.
#[test]
fn a_wait_with_a_history_ring_stays_registered_until_it_runs() {
    let conn: Observable<Conn, 4> = Observable::with_history(Conn::Connected);
    let mut closing = Probe::new(conn.wait_until(Conn::Closing));
    let mut changed = Probe::new(conn.changed());
    assert!(closing.poll().is_pending());
    assert!(changed.poll().is_pending());
    conn.set(Conn::Closing);
    assert_eq!(conn.waiter_count(), 1);
    assert_eq!(changed.poll(), Poll::Ready(Conn::Closing));
    assert_eq!(closing.poll(), Poll::Ready(Conn::Closing));
    assert_eq!(conn.waiter_count(), 0);
}

/// Ledger variants 31 and up have no bit in a wait's `ends_on`: waits on
/// them are notified, never released.
#[test]
fn a_wait_on_a_variant_past_the_thirtieth_stays_registered_until_it_runs() {
    #[rustfmt::skip]
    #[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
    enum Wide {
        V0, V1, V2, V3, V4, V5, V6, V7, V8, V9, V10, V11, V12, V13, V14, V15, V16,
        V17, V18, V19, V20, V21, V22, V23, V24, V25, V26, V27, V28, V29, V30, V31, V32,
    }
    let wide = Observable::new(Wide::V0);
    let mut low = Probe::new(wide.wait_until(Wide::V30));
    let mut high = Probe::new(wide.wait_until(Wide::V31));
    assert!(low.poll().is_pending());
    assert!(high.poll().is_pending());
    wide.set(Wide::V30);
    assert_eq!(wide.waiter_count(), 1);
    assert_eq!(low.poll(), Poll::Ready(Wide::V30));
    assert!(high.poll().is_pending());
    wide.set(Wide::V31);
    assert_eq!(wide.waiter_count(), 1);
    assert_eq!(high.poll(), Poll::Ready(Wide::V31));
    assert_eq!(wide.waiter_count(), 0);
}
