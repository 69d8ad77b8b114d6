//! Owned, `'static` waits and streams (`wait_for_owned`, `wait_until_owned`,
//! `changed_owned`, `into_changes`, `into_transitions`) in spawned tasks on
//! every executor, with the observable in an `Arc` rather than leaked; and
//! the same handles polled by hand (these run under Miri too).

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::waker::Probe;
use common::{within, BlockFor, Conn, Runtime};
use futures_lite::StreamExt;
use stateword::Observable;

/// Spawned tasks own their waits and streams; a setter thread walks the
/// lifecycle through a transient `Closing` once every task has registered.
fn spawned_tasks_own_their_waits_and_streams<R: Runtime>(rt: R) {
    let conn: Arc<Observable<Conn, 16>> = Arc::new(Observable::with_history(Conn::Connecting));
    let ready = Arc::new(Observable::new(0u32));
    within(Duration::from_secs(30), R::NAME, || {
        let (c, r) = (conn.clone(), ready.clone());
        rt.block_on(async move {
            let mut tasks = Vec::new();
            // Each task registers (first poll) before it counts itself ready.
            let drain = c.clone().wait_until_owned(Conn::Closing);
            let up = c.clone().wait_for_owned(|s| s == Conn::Connected);
            let moved = c.clone().changed_owned();
            let transitions = c.clone().subscribe_owned().into_transitions();
            let changes = c.clone().subscribe_owned().into_changes();
            let ready = r.clone();
            tasks.push(rt.spawn(async move {
                let mut drain = Box::pin(drain);
                common::register(&mut drain).await;
                ready.update(|n| Some(n + 1)).unwrap();
                assert_eq!(drain.await, Conn::Closing);
            }));
            let ready = r.clone();
            tasks.push(rt.spawn(async move {
                let mut up = Box::pin(up);
                common::register(&mut up).await;
                ready.update(|n| Some(n + 1)).unwrap();
                assert_eq!(up.await, Conn::Connected);
            }));
            let ready = r.clone();
            tasks.push(rt.spawn(async move {
                let mut moved = Box::pin(moved);
                common::register(&mut moved).await;
                ready.update(|n| Some(n + 1)).unwrap();
                moved.await;
            }));
            let ready = r.clone();
            tasks.push(rt.spawn(async move {
                let stream = transitions.until(|s| s == Conn::Closed);
                ready.update(|n| Some(n + 1)).unwrap();
                let seen: Vec<Conn> = stream.map(|t| t.unwrap().to).collect().await;
                assert_eq!(seen, [Conn::Connected, Conn::Closing, Conn::Closed]);
            }));
            let ready = r.clone();
            tasks.push(rt.spawn(async move {
                let stream = changes.until(|s| s == Conn::Closed);
                ready.update(|n| Some(n + 1)).unwrap();
                let seen: Vec<Conn> = stream.collect().await;
                assert_eq!(seen.last(), Some(&Conn::Closed), "{seen:?}");
            }));
            let setter = std::thread::spawn(move || {
                r.block_for(|n| n == 5);
                for s in [Conn::Connected, Conn::Closing, Conn::Closed] {
                    c.set(s);
                }
            });
            futures::future::join_all(tasks).await;
            setter.join().unwrap();
        })
    });
    assert_eq!(conn.waiter_count(), 0);
    assert_eq!(
        Arc::strong_count(&conn),
        1,
        "every owned handle let its share go"
    );
}
on_every_runtime!(spawned_tasks_own_their_waits_and_streams);

#[test]
fn an_owned_wait_outlives_every_other_share() {
    let conn = Arc::new(Observable::new(Conn::Connected));
    let mut wait = Probe::new(conn.clone().wait_until_owned(Conn::Closed));
    assert!(wait.poll().is_pending());
    let setter = Arc::downgrade(&conn);
    drop(conn); // the future's share keeps the observable alive
    setter.upgrade().unwrap().set(Conn::Closed);
    assert_eq!(wait.wakes(), 1);
    assert_eq!(wait.poll(), std::task::Poll::Ready(Conn::Closed));
    drop(wait);
    assert!(setter.upgrade().is_none(), "the future let its share go");
}

#[test]
fn an_owned_stream_keeps_its_cursor_and_starts_unseen_when_asked() {
    let n: Arc<Observable<u8, 4>> = Arc::new(Observable::with_history(0));
    let mut sub = n.clone().subscribe_owned();
    n.set(1);
    sub.mark_unseen();
    let mut changes = Probe::new(sub.clone().into_changes());
    // The clone had seen version 0 and is marked unseen: the current value.
    assert_eq!(
        futures_lite::future::block_on(changes.future.next()),
        Some(1)
    );
    let mut transitions = Probe::new(sub.into_transitions());
    // mark_unseen does not move the cursor: the transition to 1 is next.
    let first = futures_lite::future::block_on(transitions.future.next());
    assert_eq!(first.unwrap().unwrap().to, 1);
    assert!(transitions.poll_next().is_pending());
    n.set(2);
    assert_eq!(transitions.wakes(), 1);
}
