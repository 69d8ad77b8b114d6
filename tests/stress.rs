//! Stress (issue 4): 4 setter threads cycle through every state of the
//! 5-variant lifecycle enum, 10^5 transitions each, while 256 tasks on a
//! multi-thread runtime each wait, again and again, for a state picked at
//! random. Pass criteria are deterministic: every wait returns exactly the
//! state it asked for (zero misses), and every task finishes (a hang is
//! turned into a failure by `within`).

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{within, BlockFor, Conn, Runtime, ALL_CONN};
use stateword::Observable;

const SETTERS: usize = 4;
const TRANSITIONS_PER_SETTER: usize = 100_000;
const TASKS: u32 = 256;

struct Shared {
    conn: Observable<Conn>,
    /// Set once the setters are done; tasks then stop after their current wait.
    stop: Observable<bool>,
    /// Tasks that have finished.
    done: Observable<u32>,
    /// Waits completed, over all tasks.
    completed: Observable<u32>,
}

/// A small xorshift, so each task picks its own sequence of targets.
fn next_random(seed: &mut u32) -> u32 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 17;
    *seed ^= *seed << 5;
    *seed
}

async fn waiter(shared: Arc<Shared>, id: u32) {
    let mut seed = id.wrapping_mul(2_654_435_761).max(1);
    while !shared.stop.get() {
        let target = ALL_CONN[next_random(&mut seed) as usize % ALL_CONN.len()];
        let got = shared.conn.wait_until(target).await;
        assert_eq!(got, target, "task {id} asked for {target:?}");
        shared.completed.update(|n| Some(n + 1)).unwrap();
    }
    shared.done.update(|n| Some(n + 1)).unwrap();
}

fn stress<R: Runtime>(rt: R) {
    let shared = Arc::new(Shared {
        conn: Observable::new(Conn::Disconnected),
        stop: Observable::new(false),
        done: Observable::new(0),
        completed: Observable::new(0),
    });
    within(Duration::from_secs(120), R::NAME, || {
        let setters: Vec<_> = (0..SETTERS)
            .map(|i| {
                let shared = shared.clone();
                std::thread::spawn(move || {
                    for t in 0..TRANSITIONS_PER_SETTER {
                        shared.conn.set(ALL_CONN[(t + i) % ALL_CONN.len()]);
                    }
                })
            })
            .collect();
        let finisher = {
            let shared = shared.clone();
            std::thread::spawn(move || {
                for s in setters {
                    s.join().unwrap();
                }
                shared.stop.set(true);
                // A task may have registered just before it could see `stop`;
                // enter every state again until all tasks are done, so each
                // remaining wait has its target entered after it registered.
                loop {
                    for s in ALL_CONN {
                        shared.conn.set(s);
                    }
                    let all_done = shared
                        .done
                        .block_for_timeout(|n| n == TASKS, Duration::from_millis(1));
                    if all_done.is_some() {
                        break;
                    }
                }
            })
        };
        let tasks_shared = shared.clone();
        rt.block_on(async move {
            let tasks: Vec<_> = (0..TASKS)
                .map(|id| rt.spawn(waiter(tasks_shared.clone(), id)))
                .collect();
            futures::future::join_all(tasks).await;
        });
        finisher.join().unwrap();
    });
    let version = shared.conn.version();
    println!(
        "{}: {} waits completed, zero misses; {} transitions",
        R::NAME,
        shared.completed.get(),
        version
    );
    assert!(version >= (SETTERS * TRANSITIONS_PER_SETTER) as u64 / 2);
    assert_eq!(shared.conn.waiter_count(), 0);
}

#[test]
#[cfg_attr(miri, ignore = "too slow under Miri")]
fn tokio_multi_thread() {
    stress(common::TokioMultiThread);
}

#[test]
#[cfg_attr(miri, ignore = "too slow under Miri")]
fn smol() {
    stress(common::Smol);
}

#[test]
#[cfg_attr(miri, ignore = "too slow under Miri")]
fn async_std() {
    stress(common::AsyncStd);
}
