//! Guarantee 2 (no lost wakeup) and the connection lifecycle from DESIGN.md,
//! on every executor: tokio (multi-thread and current-thread), smol,
//! async-std, futures::executor and futures-lite's block_on. Setters run on
//! other threads.

mod common;

use std::time::Duration;

use common::{leak, register, within, BlockFor, Conn, Runtime};
use stateword::Observable;

/// Many tasks park on different conditions; a setter thread then walks the
/// state through all of them. Every task must be woken and complete.
fn every_parked_task_is_woken<R: Runtime>(rt: R) {
    const TASKS: u32 = 64;
    let conn = leak(Conn::Disconnected);
    let armed = leak(0u32);
    within(Duration::from_secs(30), R::NAME, || {
        rt.block_on(async move {
            let mut tasks = Vec::new();
            for i in 0..TASKS {
                tasks.push(rt.spawn(async move {
                    match i % 4 {
                        0 => {
                            let mut w = std::pin::pin!(conn.wait_until(Conn::Closed));
                            register(&mut w).await;
                            armed.update(|n| Some(n + 1)).unwrap();
                            assert_eq!(w.await, Conn::Closed);
                        }
                        1 => {
                            let mut w = std::pin::pin!(conn.wait_for(|s| s == Conn::Connected));
                            register(&mut w).await;
                            armed.update(|n| Some(n + 1)).unwrap();
                            assert_eq!(w.await, Conn::Connected);
                        }
                        2 => {
                            let mut w = std::pin::pin!(conn.changed());
                            register(&mut w).await;
                            armed.update(|n| Some(n + 1)).unwrap();
                            w.await;
                        }
                        _ => {
                            let mut w = std::pin::pin!(conn.wait_for_next(|s| s == Conn::Closing));
                            register(&mut w).await;
                            armed.update(|n| Some(n + 1)).unwrap();
                            assert_eq!(w.await, Conn::Closing);
                        }
                    }
                }));
            }
            let setter = std::thread::spawn(move || {
                armed.block_for(|n| n == TASKS);
                for s in [
                    Conn::Connecting,
                    Conn::Connected,
                    Conn::Closing,
                    Conn::Closed,
                ] {
                    conn.set(s);
                }
            });
            futures::future::join_all(tasks).await;
            setter.join().unwrap();
        })
    });
    assert_eq!(conn.waiter_count(), 0);
}
on_every_runtime!(every_parked_task_is_woken);

/// A wait registered while a setter thread is already setting, repeatedly:
/// the registration race itself. Each round must complete.
fn registration_races_a_setter<R: Runtime>(rt: R) {
    const ROUNDS: u32 = 2_000;
    let round = leak(0u32);
    let ack = leak(0u32);
    within(Duration::from_secs(60), R::NAME, || {
        rt.block_on(async move {
            let setter = std::thread::spawn(move || {
                for r in 1..=ROUNDS {
                    // Wait until the task asked for round r, then set it at
                    // once: the set races the task's first poll.
                    ack.block_for(|a| a == r);
                    round.set(r);
                }
            });
            let task = rt.spawn(async move {
                for r in 1..=ROUNDS {
                    ack.set(r);
                    assert_eq!(round.wait_until(r).await, r);
                }
            });
            task.await;
            setter.join().unwrap();
        })
    });
}
on_every_runtime!(registration_races_a_setter);

/// The lifecycle of DESIGN.md: handlers drain on `Closing`, serve on
/// `Connected` and count reconnects, while the driver sets `Closing` and
/// `Closed` back to back each round. Every round's drain must see `Closing`.
fn connection_lifecycle<R: Runtime>(rt: R) {
    const ROUNDS: u32 = 50;
    let conn = leak(Conn::Disconnected);
    let armed = leak(0u32);
    let drained = leak(0u32);
    let served = leak(0u32);
    within(Duration::from_secs(60), R::NAME, || {
        rt.block_on(async move {
            let drain = rt.spawn(async move {
                for _ in 0..ROUNDS {
                    let mut closing = std::pin::pin!(conn.wait_for_next(|s| s == Conn::Closing));
                    register(&mut closing).await;
                    armed.update(|n| Some(n + 1)).unwrap();
                    assert_eq!(closing.await, Conn::Closing);
                    drained.update(|n| Some(n + 1)).unwrap();
                }
            });
            let serve = rt.spawn(async move {
                for _ in 0..ROUNDS {
                    let mut up = std::pin::pin!(conn.wait_for_next(|s| s == Conn::Connected));
                    register(&mut up).await;
                    armed.update(|n| Some(n + 1)).unwrap();
                    up.await;
                    served.update(|n| Some(n + 1)).unwrap();
                }
            });
            let driver = std::thread::spawn(move || {
                for round in 1..=ROUNDS {
                    armed.block_for(|n| n >= 2 * round);
                    conn.set(Conn::Connecting);
                    conn.set(Conn::Connected);
                    conn.set(Conn::Closing);
                    conn.set(Conn::Closed);
                    drained.block_for(|n| n >= round);
                    served.block_for(|n| n >= round);
                    conn.set(Conn::Disconnected);
                }
            });
            futures::future::join(drain, serve).await;
            driver.join().unwrap();
        })
    });
    assert_eq!(drained.get(), ROUNDS);
    assert_eq!(conn.version(), u64::from(ROUNDS) * 5);
}
on_every_runtime!(connection_lifecycle);

/// Plain threads only: blocking waits on both sides (`wait_for_blocking`
/// with `std`; see `BlockFor`).
#[test]
fn threads_with_blocking_waits() {
    static CONN: Observable<Conn> = Observable::new(Conn::Disconnected);
    static READY: Observable<bool> = Observable::new(false);
    within(Duration::from_secs(30), "threads", || {
        let waiter = std::thread::spawn(|| {
            READY.set(true);
            CONN.block_for(|s| s == Conn::Closed)
        });
        READY.block_for(|ready| ready);
        CONN.set(Conn::Connected);
        CONN.set(Conn::Closed);
        assert_eq!(waiter.join().unwrap(), Conn::Closed);
    });
}
