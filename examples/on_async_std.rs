//! stateword on async-std: tasks wait on a `static Observable<u8, 8>` of
//! download progress, and timeouts come from `async_std::future::timeout`.
//!
//! Integers have too many values for an entry ledger, so a plain
//! `Observable<u8>` makes `wait_for` level-triggered: it reports the level it
//! finds when it runs. This one keeps its last 8 transitions
//! (`Observable::with_history`), which makes waits on integers exact: a task
//! waiting for "at least 50%" gets the first value that qualified (50), even
//! though the download went on to 80 and 100 before the task ran. Then a
//! stall watchdog whose timeout expires, and a retry seen in time.
//!
//! Run it with `cargo run --example on_async_std`.

use std::time::Duration;

use async_std::future::timeout;
use async_std::task;
use futures_lite::future::poll_once;
use stateword::Observable;

/// Download progress in percent, with the last 8 transitions kept.
static PROGRESS: Observable<u8, 8> = Observable::with_history(0);
/// How many tasks have registered their waits: the main task's handshake.
static LISTENING: Observable<u32> = Observable::new(0);

/// Waits for the first progress of at least 50%, but comes back to that wait
/// only once the download has finished.
async fn half_way_banner() -> u8 {
    let mut half = std::pin::pin!(PROGRESS.wait_for(|p| p >= 50));
    assert!(poll_once(&mut half).await.is_none(), "registered at 0%");
    LISTENING.update(|n| Some(n + 1)).unwrap();

    PROGRESS.wait_until(100).await;
    half.await
}

/// Adds a chunk's worth of progress, capped at 100%; returns the new value.
fn chunk_arrived(percent: u8) -> u8 {
    let before = PROGRESS
        .update(|p| Some(p.saturating_add(percent).min(100)))
        .unwrap();
    before.saturating_add(percent).min(100)
}

#[async_std::main]
async fn main() {
    let banner = task::spawn(half_way_banner());
    LISTENING.wait_until(1).await;

    print!("[download] progress:");
    for chunk in [20, 30, 30, 30] {
        print!(" {}%", chunk_arrived(chunk));
    }
    println!(" (back to back)");

    let half = banner.await;
    println!(
        "[banner] half way: {half}% (the first value >= 50, not the {}% it is now)",
        PROGRESS.get()
    );
    assert_eq!(half, 50);

    // A watchdog: no progress within 50 ms means the download stalled. It
    // has finished, so the timeout expires and drops the wait (cancel-safe).
    match timeout(Duration::from_millis(50), PROGRESS.changed()).await {
        Ok(p) => panic!("nothing changes the progress now, yet it changed to {p}"),
        Err(elapsed) => println!(
            "[watchdog] no progress within 50 ms ({elapsed}); waits left registered: {}",
            PROGRESS.waiter_count()
        ),
    }
    assert_eq!(PROGRESS.waiter_count(), 0);

    // A timeout that does not expire: register, then another task resets
    // the progress for a retry.
    let mut reset = std::pin::pin!(PROGRESS.wait_for_next(|p| p == 0));
    assert!(poll_once(&mut reset).await.is_none());
    let retry = task::spawn(async {
        println!("[retry] starting over");
        PROGRESS.set(0)
    });
    let waited = timeout(Duration::from_secs(10), reset).await;
    println!("[main] wait for the reset, 10 s timeout: {waited:?}");
    assert_eq!(waited, Ok(0));
    assert_eq!(retry.await, 100);

    println!("[main] done: {} progress transitions", PROGRESS.version());
}
