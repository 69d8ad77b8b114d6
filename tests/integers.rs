//! Non-finite states (integers, `char`): `wait_for` is level-triggered, as
//! documented, and `changed` is exact through the version.

mod common;

use std::task::Poll;

use common::waker::Probe;
use stateword::Observable;

#[test]
fn wait_for_on_an_integer_checks_the_level_when_it_runs() {
    let n = Observable::new(0u32);
    let mut w = Probe::new(n.wait_for(|v| v == 5));
    assert!(w.poll().is_pending());
    n.set(5);
    n.set(6);
    // Documented: an integer has no ledger, a value gone before the waiter
    // runs is not seen. (History-backed observables are exact.)
    assert!(w.poll().is_pending());
    n.set(5);
    assert_eq!(w.poll(), Poll::Ready(5));
}

#[test]
fn wait_for_returns_at_once_when_the_value_already_matches() {
    let c = Observable::new('z');
    let mut w = Probe::new(c.wait_for(|c| c.is_alphabetic()));
    assert_eq!(w.poll(), Poll::Ready('z'));
    assert_eq!(c.waiter_count(), 0);
}

#[test]
fn changed_is_exact_even_when_the_value_comes_back() {
    let n = Observable::new(7i16);
    let mut changed = Probe::new(n.changed());
    assert!(changed.poll().is_pending());
    n.set(8);
    n.set(7);
    assert!(changed.wakes() >= 1);
    assert_eq!(changed.poll(), Poll::Ready(7));
}

#[test]
fn changed_ignores_sets_of_the_current_value() {
    let n = Observable::new(1u8);
    let mut changed = Probe::new(n.changed());
    assert!(changed.poll().is_pending());
    n.set(1);
    assert_eq!(changed.wakes(), 0);
    assert!(changed.poll().is_pending());
}

#[test]
fn wait_for_next_on_an_integer_needs_a_new_version() {
    let n = Observable::new(3u16);
    let mut w = Probe::new(n.wait_for_next(|v| v == 3));
    assert!(w.poll().is_pending());
    n.set(4);
    assert!(w.poll().is_pending());
    n.set(3);
    assert_eq!(w.poll(), Poll::Ready(3));
}
