//! Guarantee 8: predicates may run any number of times, on every variant at
//! registration (finite states); a panicking predicate panics its waiter only.

mod common;

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};

use common::waker::Probe;
use common::{Conn, ALL_CONN};
use futures_lite::future::block_on;
use stateword::Observable;

#[test]
fn a_finite_wait_evaluates_its_predicate_on_every_variant_at_registration() {
    let conn = Observable::new(Conn::Connected);
    let seen = RefCell::new(Vec::new());
    let mut w = Probe::new(conn.wait_for(|s| {
        seen.borrow_mut().push(s);
        s == Conn::Closed
    }));
    assert!(w.poll().is_pending());
    for variant in ALL_CONN {
        assert!(
            seen.borrow().contains(&variant),
            "{variant:?} was not evaluated"
        );
    }
}

#[test]
fn a_predicate_panicking_at_registration_leaves_the_observable_consistent() {
    let conn = Observable::new(Conn::Connected);
    let result = catch_unwind(AssertUnwindSafe(|| {
        block_on(conn.wait_for(|s| {
            if s == Conn::Closing {
                panic!("predicate bug");
            }
            false
        }))
    }));
    assert!(result.is_err());
    assert_eq!(conn.waiter_count(), 0);
    let mut other = Probe::new(conn.wait_until(Conn::Closing));
    assert!(other.poll().is_pending());
    assert_eq!(conn.set(Conn::Closing), Conn::Connected);
    conn.set(Conn::Closed);
    assert_eq!(other.poll(), std::task::Poll::Ready(Conn::Closing));
}

#[test]
fn a_predicate_panicking_after_registration_unregisters_its_waiter() {
    let level = Observable::new(0u32);
    let mut healthy = Probe::new(level.wait_for(|n| n >= 3));
    assert!(healthy.poll().is_pending());
    let mut faulty = Probe::new(level.wait_for(|n| {
        assert!(n != 3, "predicate bug");
        false
    }));
    assert!(faulty.poll().is_pending());
    assert_eq!(level.waiter_count(), 2);
    level.set(3);
    let result = catch_unwind(AssertUnwindSafe(|| faulty.poll()));
    assert!(result.is_err());
    drop(faulty); // what an executor does with a task that panicked
    assert_eq!(level.waiter_count(), 1);
    assert_eq!(level.get(), 3);
    assert_eq!(level.version(), 1);
    assert_eq!(healthy.poll(), std::task::Poll::Ready(3));
}

#[test]
fn predicates_may_be_called_many_times_without_changing_the_result() {
    let conn = Observable::new(Conn::Disconnected);
    let calls = RefCell::new(0u32);
    let mut w = Probe::new(conn.wait_for(|s| {
        *calls.borrow_mut() += 1;
        s == Conn::Closed
    }));
    assert!(w.poll().is_pending());
    for s in [Conn::Connecting, Conn::Connected, Conn::Closing] {
        conn.set(s);
        assert!(w.poll().is_pending());
    }
    conn.set(Conn::Closed);
    assert_eq!(w.poll(), std::task::Poll::Ready(Conn::Closed));
    assert!(*calls.borrow() >= ALL_CONN.len() as u32);
}

/// A look that finds the state still at the version of the wait's first
/// look has nothing new to ask: the predicate is not called again, however
/// often the wait is polled (spurious wakeups, `select!` loops).
#[test]
fn polls_without_a_transition_do_not_call_the_predicate_again() {
    let level = Observable::new(0u32);
    let calls = std::cell::Cell::new(0);
    let mut w = Probe::new(level.wait_for(|n| {
        calls.set(calls.get() + 1);
        n >= 3
    }));
    assert!(w.poll().is_pending());
    let after_registering = calls.get();
    assert_eq!(after_registering, 1, "only the first look asks");
    for _ in 0..5 {
        assert!(w.poll().is_pending());
    }
    assert_eq!(calls.get(), after_registering);
    level.set(1);
    assert!(w.poll().is_pending());
    assert!(
        calls.get() > after_registering,
        "a transition is asked about"
    );
    level.set(3);
    assert_eq!(w.poll(), std::task::Poll::Ready(3));
}
