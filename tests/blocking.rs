//! The `std` blocking waits: `wait_for_blocking` and `wait_for_timeout`, with
//! the same guarantees as the async waits.

#![cfg(feature = "std")]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{within, Conn};
use stateword::Observable;

/// Blocks until a wait is registered on `o`: the deterministic handshake
/// between a blocked waiter and its setter.
fn until_registered<S: stateword::State>(o: &Observable<S>) {
    while o.waiter_count() == 0 {
        std::thread::yield_now();
    }
}

#[test]
fn a_blocked_thread_sees_a_back_to_back_transient_state() {
    let conn = Arc::new(Observable::new(Conn::Connected));
    within(Duration::from_secs(30), "blocking transient", || {
        for _ in 0..if cfg!(miri) { 3 } else { 200 } {
            conn.set(Conn::Connected);
            let waiter = {
                let conn = conn.clone();
                std::thread::spawn(move || conn.wait_for_blocking(|s| s == Conn::Closing))
            };
            until_registered(&conn);
            conn.set(Conn::Closing);
            conn.set(Conn::Closed);
            assert_eq!(waiter.join().unwrap(), Conn::Closing);
        }
    });
}

#[test]
fn wait_for_timeout_returns_the_transient_value_before_the_deadline() {
    let conn = Arc::new(Observable::new(Conn::Connected));
    let waiter = {
        let conn = conn.clone();
        std::thread::spawn(move || {
            conn.wait_for_timeout(|s| s == Conn::Closing, Duration::from_secs(30))
        })
    };
    until_registered(&conn);
    conn.set(Conn::Closing);
    conn.set(Conn::Closed);
    assert_eq!(waiter.join().unwrap(), Some(Conn::Closing));
    assert_eq!(conn.waiter_count(), 0);
}

#[test]
fn wait_for_timeout_gives_up_and_unregisters() {
    let n = Observable::new(1u8);
    let start = std::time::Instant::now();
    assert_eq!(
        n.wait_for_timeout(|v| v == 0, Duration::from_millis(20)),
        None
    );
    assert!(start.elapsed() >= Duration::from_millis(20));
    assert_eq!(n.waiter_count(), 0);
}

#[test]
fn an_already_true_condition_returns_at_once_even_with_a_zero_timeout() {
    let n = Observable::new(4u8);
    assert_eq!(n.wait_for_timeout(|v| v == 4, Duration::ZERO), Some(4));
    assert_eq!(n.wait_for_blocking(|v| v == 4), 4);
}

#[test]
fn a_huge_timeout_does_not_overflow() {
    let n = Arc::new(Observable::new(false));
    let waiter = {
        let n = n.clone();
        std::thread::spawn(move || n.wait_for_timeout(|v| v, Duration::MAX))
    };
    until_registered(&n);
    n.set(true);
    assert_eq!(waiter.join().unwrap(), Some(true));
}

/// A blocking wait from a thread-local's destructor, after the thread's own
/// locals (its cached waker among them) may be gone: it still parks and is
/// woken. On Linux, locals are torn down in reverse order of first use, so
/// the cached waker (first used after `LATE`) goes first and the wait takes
/// the fallback path.
#[test]
fn a_blocking_wait_in_a_thread_local_destructor_still_parks_and_wakes() {
    struct WaitsOnDrop(Option<Arc<Observable<Conn>>>);
    impl Drop for WaitsOnDrop {
        fn drop(&mut self) {
            if let Some(conn) = self.0.take() {
                conn.wait_for_blocking(|s| s == Conn::Closing);
            }
        }
    }
    std::thread_local! {
        static LATE: std::cell::RefCell<WaitsOnDrop> =
            const { std::cell::RefCell::new(WaitsOnDrop(None)) };
    }

    let conn = Arc::new(Observable::new(Conn::Connected));
    let waiter = {
        let conn = conn.clone();
        std::thread::spawn(move || {
            LATE.with(|late| late.borrow_mut().0 = Some(conn.clone()));
            // This thread's first blocking wait makes its cached waker.
            assert_eq!(
                conn.wait_for_blocking(|s| s == Conn::Connected),
                Conn::Connected
            );
        })
    };
    within(Duration::from_secs(30), "a wait in a destructor", || {
        until_registered(&conn);
        conn.set(Conn::Closing);
        waiter.join().unwrap();
    });
    assert_eq!(conn.waiter_count(), 0);
}
