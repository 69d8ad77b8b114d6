//! stateword with plain std threads, no async runtime: `wait_for_blocking`
//! parks a thread until the state matches, `wait_for_timeout` gives up after
//! a deadline.
//!
//! Reader threads wait for a cache to be `Warm`; a metrics thread waits for
//! `Warming`. The loader sets `Warming` and `Warm` back to back: the metrics
//! thread still sees `Warming`, blocking waits keep the same guarantee as
//! async ones. Then a health check whose timeout expires, and one that sees
//! an invalidation in time.
//!
//! Run it with `cargo run --example threads`.

use std::thread;
use std::time::Duration;

use stateword::{Observable, State};

#[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
enum Cache {
    Cold,
    Warming,
    Warm,
    Failed,
}

static CACHE: Observable<Cache> = Observable::new(Cache::Cold);
/// Reads served from the warm cache.
static HITS: Observable<u32> = Observable::new(0);

const READERS: u32 = 3;

/// Returns once `n` waits are registered on `CACHE`: the handshake that makes
/// this example print the same every run. `waiter_count` is a diagnostic
/// snapshot; real code never needs this, since a wait that starts late sees
/// the current value.
fn until_waiting(n: usize) {
    while CACHE.waiter_count() < n {
        thread::yield_now();
    }
}

fn main() {
    let readers: Vec<_> = (0..READERS)
        .map(|_| {
            thread::spawn(|| {
                let seen = CACHE.wait_for_blocking(|c| c == Cache::Warm);
                HITS.update(|n| Some(n + 1)).unwrap();
                seen
            })
        })
        .collect();
    let metrics = thread::spawn(|| CACHE.wait_for_blocking(|c| c == Cache::Warming));
    until_waiting(READERS as usize + 1);

    println!(
        "[loader] {} threads waiting: Warming, Warm (back to back)",
        READERS + 1
    );
    CACHE.set(Cache::Warming);
    CACHE.set(Cache::Warm);

    let served = HITS.wait_for_blocking(|n| n == READERS);
    println!("[loader] {served} reads served from the warm cache");
    for (id, reader) in readers.into_iter().enumerate() {
        println!("[reader {id}] woke on {:?}", reader.join().unwrap());
    }
    let seen = metrics.join().unwrap();
    println!(
        "[metrics] saw {seen:?} (the cache is {:?} by now)",
        CACHE.get()
    );
    assert_eq!(seen, Cache::Warming);

    // A timeout that expires: nothing fails.
    let failed = CACHE.wait_for_timeout(|c| c == Cache::Failed, Duration::from_millis(50));
    println!(
        "[health] failure within 50 ms? {failed:?}; waits left registered: {}",
        CACHE.waiter_count()
    );
    assert_eq!(failed, None);
    assert_eq!(CACHE.waiter_count(), 0);

    // A timeout that does not expire: another thread invalidates the cache
    // once the health check is waiting.
    let invalidator = thread::spawn(|| {
        until_waiting(1);
        println!("[invalidator] -> Cold");
        CACHE.set(Cache::Cold)
    });
    let cold = CACHE.wait_for_timeout(|c| c == Cache::Cold, Duration::from_secs(10));
    println!("[health] invalidation within 10 s? {cold:?}");
    assert_eq!(cold, Some(Cache::Cold));
    assert_eq!(invalidator.join().unwrap(), Cache::Warm);

    println!("[main] done: {} cache transitions", CACHE.version());
}
