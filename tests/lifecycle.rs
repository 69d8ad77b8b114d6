//! A lifecycle's end: the `SetOnDrop` guard sets its terminal state when
//! its owner returns, is dropped or panics (releasing every waiter), and
//! `until` ends a stream on the terminal state without losing the
//! transitions just before it, however close behind they come.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{within, BlockFor, Conn, Runtime};
use futures_lite::future::block_on;
use futures_lite::StreamExt;
use stateword::Observable;

#[test]
fn the_guard_sets_its_state_on_drop_and_not_when_disarmed() {
    let conn = Observable::new(Conn::Connected);
    let guard = conn.set_on_drop(Conn::Closed);
    assert_eq!(guard.observable().get(), Conn::Connected);
    drop(guard);
    assert_eq!(conn.get(), Conn::Closed);
    conn.set(Conn::Connected);
    conn.set_on_drop(Conn::Closed).disarm();
    assert_eq!(conn.get(), Conn::Connected);
    assert_eq!(conn.version(), 2, "a disarmed guard set nothing");
}

#[test]
fn a_panicking_thread_releases_every_waiter_of_the_terminal_state() {
    let conn = Arc::new(Observable::new(Conn::Connecting));
    let started = Arc::new(Observable::new(false));
    let producer = {
        let (conn, started) = (conn.clone(), started.clone());
        std::thread::spawn(move || {
            let _closed = conn.clone().set_on_drop_owned(Conn::Closed);
            conn.set(Conn::Connected);
            started.set(true);
            panic!("the producer fails");
        })
    };
    started.block_for(|s| s);
    assert_eq!(conn.block_for(|s| s == Conn::Closed), Conn::Closed);
    assert!(producer.join().is_err());
}

/// On every executor, waiter tasks of the terminal state are all released
/// when the producer that holds the guard panics (on a thread of its own,
/// since a panicking task aborts the test on some executors; the tokio test
/// below panics in a task).
fn a_panicking_task_releases_every_waiter<R: Runtime>(rt: R) {
    let conn = Arc::new(Observable::new(Conn::Connecting));
    within(Duration::from_secs(30), R::NAME, || {
        let conn = conn.clone();
        rt.block_on(async move {
            let mut waiters = Vec::new();
            for _ in 0..8 {
                let closed = conn.clone().wait_until_owned(Conn::Closed);
                waiters.push(rt.spawn(async move {
                    assert_eq!(closed.await, Conn::Closed);
                }));
            }
            let guard = conn.clone().set_on_drop_owned(Conn::Closed);
            // The producer runs and panics on a thread of its own (a
            // panicking task would abort a test on some executors); its
            // guard is dropped while unwinding.
            let producer = std::thread::spawn(move || {
                let _guard = guard;
                panic!("the producer fails");
            });
            futures::future::join_all(waiters).await;
            assert!(producer.join().is_err());
        })
    });
    assert_eq!(conn.waiter_count(), 0);
}
on_every_runtime!(a_panicking_task_releases_every_waiter);

/// A producer *task* that panics: tokio catches the panic, and the guard it
/// owned, dropped while unwinding, releases every waiter.
#[test]
fn a_panicking_tokio_task_releases_every_waiter() {
    let conn = Arc::new(Observable::new(Conn::Connecting));
    within(Duration::from_secs(30), "tokio", || {
        let conn = conn.clone();
        common::TokioMultiThread.block_on(async move {
            let waiters: Vec<_> = (0..8)
                .map(|_| tokio::spawn(conn.clone().wait_until_owned(Conn::Closed)))
                .collect();
            let guard = conn.clone().set_on_drop_owned(Conn::Closed);
            let producer = tokio::spawn(async move {
                let _guard = guard;
                tokio::task::yield_now().await;
                panic!("the producer task fails");
            });
            assert!(producer.await.unwrap_err().is_panic());
            for waiter in waiters {
                assert_eq!(waiter.await.unwrap(), Conn::Closed);
            }
        })
    });
    assert_eq!(conn.waiter_count(), 0);
}

#[test]
fn until_ends_after_the_terminal_item_and_stays_ended() {
    let conn: Observable<Conn, 8> = Observable::with_history(Conn::Connecting);
    let mut sub = conn.subscribe();
    let mut probe = common::waker::Probe::new(sub.transitions().until(|s| s == Conn::Closed));
    assert!(probe.poll_next().is_pending());
    conn.set(Conn::Connected);
    conn.set(Conn::Closed);
    conn.set(Conn::Connecting); // a restart after the end: not this stream's
    let to = |p: std::task::Poll<
        Option<Result<stateword::Transition<Conn>, stateword::Lagged>>,
    >| {
        match p {
            std::task::Poll::Ready(Some(Ok(t))) => Some(t.to),
            std::task::Poll::Ready(None) => None,
            other => panic!("{other:?}"),
        }
    };
    assert_eq!(to(probe.poll_next()), Some(Conn::Connected));
    assert_eq!(to(probe.poll_next()), Some(Conn::Closed));
    assert_eq!(to(probe.poll_next()), None);
    assert_eq!(to(probe.poll_next()), None, "an ended stream stays ended");
    drop(probe);
    assert_eq!(conn.waiter_count(), 0);
    // The subscriber's cursor moved with the stream: the restart is next.
    assert_eq!(
        sub.try_next_transition().unwrap().unwrap().to,
        Conn::Connecting
    );
}

/// The race behind the adapter: the close lands right behind the
/// transitions before it, while the stream is running on another thread.
/// `transitions().until` yields every one of them, in order, then ends;
/// `changes().until` ends on the terminal value, never before it.
#[test]
fn a_close_right_behind_the_last_transitions_loses_none_of_them() {
    const ROUNDS: usize = if cfg!(miri) { 4 } else { 300 };
    let lifecycle = [
        Conn::Connected,
        Conn::Closing,
        Conn::Disconnected,
        Conn::Closed,
    ];
    for _ in 0..ROUNDS {
        let conn: Arc<Observable<Conn, 8>> = Arc::new(Observable::with_history(Conn::Connecting));
        let transitions = conn.clone().subscribe_owned().into_transitions();
        let changes = conn.clone().subscribe_owned().into_changes();
        let setter = {
            let conn = conn.clone();
            std::thread::spawn(move || {
                for s in lifecycle {
                    conn.set(s);
                }
            })
        };
        let every: Vec<Conn> = block_on(
            transitions
                .until(|s| s == Conn::Closed)
                .map(|t| t.unwrap().to)
                .collect(),
        );
        assert_eq!(every, lifecycle);
        let values: Vec<Conn> = block_on(changes.until(|s| s == Conn::Closed).collect());
        assert_eq!(values.last(), Some(&Conn::Closed), "{values:?}");
        assert_eq!(values.iter().filter(|&&s| s == Conn::Closed).count(), 1);
        setter.join().unwrap();
        assert_eq!(conn.waiter_count(), 0);
    }
}
