//! Guarantee 6: dropping a wait future at any point leaves no registration
//! behind and never swallows a wakeup another waiter needs.

mod common;

use std::time::Duration;

use common::waker::Probe;
use common::Conn;
use stateword::Observable;

#[test]
fn dropping_before_the_first_poll_registers_nothing() {
    let conn = Observable::new(Conn::Connected);
    drop(conn.wait_until(Conn::Closed));
    drop(conn.changed());
    assert_eq!(conn.waiter_count(), 0);
}

#[test]
fn dropping_a_parked_wait_unregisters_it() {
    let conn = Observable::new(Conn::Connected);
    let mut w = Probe::new(conn.wait_until(Conn::Closed));
    assert!(w.poll().is_pending());
    assert_eq!(conn.waiter_count(), 1);
    drop(w);
    assert_eq!(conn.waiter_count(), 0);
    // A later wait is unaffected.
    let mut again = Probe::new(conn.wait_until(Conn::Closed));
    assert!(again.poll().is_pending());
    conn.set(Conn::Closed);
    assert_eq!(again.wakes(), 1);
    assert_eq!(again.poll(), std::task::Poll::Ready(Conn::Closed));
}

#[test]
fn a_notified_but_dropped_wait_steals_no_wakeup() {
    let conn = Observable::new(Conn::Connected);
    let mut first = Probe::new(conn.wait_until(Conn::Closing));
    let mut second = Probe::new(conn.wait_until(Conn::Closing));
    assert!(first.poll().is_pending());
    assert!(second.poll().is_pending());
    conn.set(Conn::Closing);
    conn.set(Conn::Closed);
    // Both were woken by the same transition; dropping the first before it
    // runs must not take anything from the second.
    assert_eq!(first.wakes(), 1);
    drop(first);
    assert_eq!(second.wakes(), 1);
    assert_eq!(second.poll(), std::task::Poll::Ready(Conn::Closing));
    assert_eq!(conn.waiter_count(), 0);
}

#[test]
fn dropping_at_every_point_of_a_wait_leaves_nothing_behind() {
    // Step k: drop the future after k of these events.
    let events = 5;
    for k in 0..=events {
        let conn = Observable::new(Conn::Disconnected);
        let mut other = Probe::new(conn.wait_for(|s| s == Conn::Closed));
        assert!(other.poll().is_pending());
        {
            let mut w = Probe::new(conn.wait_for(|s| s == Conn::Closed));
            let steps: [&dyn Fn(&mut Probe<_>); 5] = [
                &|w| {
                    let _ = w.poll();
                },
                &|_| {
                    let _ = conn.set(Conn::Connecting);
                },
                &|w| {
                    let _ = w.poll();
                },
                &|_| {
                    let _ = conn.set(Conn::Closed);
                },
                &|w| {
                    let _ = w.poll();
                },
            ];
            for step in steps.iter().take(k) {
                step(&mut w);
            }
        }
        conn.set(Conn::Closed);
        assert_eq!(
            other.poll(),
            std::task::Poll::Ready(Conn::Closed),
            "after drop at step {k}"
        );
        assert_eq!(conn.waiter_count(), 0, "after drop at step {k}");
    }
}

#[test]
#[cfg_attr(miri, ignore = "tokio's timer driver needs epoll, unsupported by Miri")]
fn a_runtime_timeout_cancels_cleanly() {
    let conn = Observable::new(Conn::Connected);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    rt.block_on(async {
        let timed_out =
            tokio::time::timeout(Duration::from_millis(5), conn.wait_until(Conn::Closed)).await;
        assert!(timed_out.is_err());
        assert_eq!(conn.waiter_count(), 0);
        conn.set(Conn::Closed);
        let ok = tokio::time::timeout(Duration::from_secs(5), conn.wait_until(Conn::Closed)).await;
        assert_eq!(ok, Ok(Conn::Closed));
    });
}

#[test]
#[cfg(feature = "std")]
fn a_blocking_wait_that_times_out_unregisters() {
    let conn = Observable::new(Conn::Connected);
    assert_eq!(
        conn.wait_for_timeout(|s| s == Conn::Closed, Duration::from_millis(1)),
        None
    );
    assert_eq!(conn.waiter_count(), 0);
}

#[test]
fn racing_drops_and_sets_leave_no_registration() {
    let conn = std::sync::Arc::new(Observable::new(Conn::Disconnected));
    let states = [
        Conn::Connecting,
        Conn::Connected,
        Conn::Closing,
        Conn::Closed,
    ];
    let setter = {
        let conn = conn.clone();
        std::thread::spawn(move || {
            for i in 0..if cfg!(miri) { 200 } else { 20_000 } {
                conn.set(states[i % states.len()]);
            }
        })
    };
    let mut i = 0usize;
    while !setter.is_finished() {
        let mut w = Probe::new(conn.wait_until(states[i % states.len()]));
        for _ in 0..(i % 3) {
            if w.poll().is_ready() {
                break;
            }
        }
        i += 1;
    }
    setter.join().unwrap();
    assert_eq!(conn.waiter_count(), 0);
}

/// The owned waits and streams, the `until` adapter and `wait_for_some`:
/// dropped while parked, each leaves no registration, and takes nothing
/// from a wait that stays.
#[test]
fn dropping_any_new_wait_or_stream_mid_wait_leaves_nothing_behind() {
    let conn: std::sync::Arc<Observable<Conn, 4>> =
        std::sync::Arc::new(Observable::with_history(Conn::Connected));
    let peer = Observable::new(None::<Conn>);
    let mut stays = Probe::new(conn.wait_until(Conn::Closed));
    assert!(stays.poll().is_pending());

    let mut owned = Probe::new(conn.clone().wait_until_owned(Conn::Closed));
    let mut owned_for = Probe::new(conn.clone().wait_for_owned(|s| s == Conn::Closed));
    let mut owned_changed = Probe::new(conn.clone().changed_owned());
    let mut changes = Probe::new(conn.clone().subscribe_owned().into_changes());
    let mut transitions = Probe::new(conn.clone().subscribe_owned().into_transitions());
    let mut until = Probe::new(
        conn.clone()
            .subscribe_owned()
            .into_transitions()
            .until(|s| s == Conn::Closed),
    );
    let mut some = Probe::new(peer.wait_for_some(|c| c == Conn::Closed));
    assert!(owned.poll().is_pending());
    assert!(owned_for.poll().is_pending());
    assert!(owned_changed.poll().is_pending());
    assert!(changes.poll_next().is_pending());
    assert!(transitions.poll_next().is_pending());
    assert!(until.poll_next().is_pending());
    assert!(some.poll().is_pending());
    assert_eq!(conn.waiter_count(), 7);
    assert_eq!(peer.waiter_count(), 1);

    drop((
        owned,
        owned_for,
        owned_changed,
        changes,
        transitions,
        until,
        some,
    ));
    assert_eq!(conn.waiter_count(), 1, "only the wait that stays");
    assert_eq!(peer.waiter_count(), 0);
    assert_eq!(std::sync::Arc::strong_count(&conn), 1);
    conn.set(Conn::Closed);
    assert_eq!(stays.wakes(), 1);
    assert_eq!(stays.poll(), std::task::Poll::Ready(Conn::Closed));
    assert_eq!(conn.waiter_count(), 0);
}
