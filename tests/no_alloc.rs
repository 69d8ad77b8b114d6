//! Guarantees 3 and 7: `get`, `set`, `compare_exchange` and `update` never
//! allocate, with or without waiters, and nothing grows with the number of
//! transitions. A counting global allocator watches this test binary.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use common::waker::Probe;
use common::Conn;
use stateword::Observable;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards every call to `System` unchanged; it only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|a| a.set(a.get() + 1));
        // SAFETY: same contract as our caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as our caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// Allocations this thread made while running `f`.
fn allocations_in(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

const STATES: [Conn; 4] = [
    Conn::Connecting,
    Conn::Connected,
    Conn::Closing,
    Conn::Closed,
];

fn churn(conn: &Observable<Conn>, n: usize) {
    for i in 0..n {
        conn.set(STATES[i % 4]);
        let _ = conn.get();
        let cur = conn.get();
        let _ = conn.compare_exchange(cur, STATES[(i + 1) % 4]);
        let _ = conn.update(|s| {
            Some(if s == Conn::Closed {
                Conn::Connecting
            } else {
                s
            })
        });
        let _ = conn.version();
    }
}

#[test]
fn the_state_operations_never_allocate_without_waiters() {
    let conn = Observable::new(Conn::Disconnected);
    assert_eq!(allocations_in(|| churn(&conn, 10_000)), 0);
    assert!(conn.version() > 10_000);
}

#[test]
fn setting_with_parked_waiters_allocates_nothing_either() {
    let conn = Observable::new(Conn::Disconnected);
    let n = Observable::new(0u32);
    // Registering a wait allocates its listener once; that is all.
    let mut waits: Vec<_> = (0..8)
        .map(|_| Probe::new(conn.wait_for_next(|s| s == Conn::Disconnected)))
        .collect();
    let mut changed = Probe::new(n.changed());
    for w in &mut waits {
        assert!(w.poll().is_pending());
    }
    assert!(changed.poll().is_pending());
    assert_eq!(
        allocations_in(|| {
            churn(&conn, 10_000);
            for i in 0..10_000 {
                n.set(i);
            }
        }),
        0
    );
}

/// A whole wait (register, park, be woken, complete) allocates nothing, for
/// any number of waiters: the list node is inside the pinned future.
#[test]
fn waiting_allocates_nothing() {
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll};

    let conn = Observable::new(Conn::Disconnected);
    let n = Observable::new(0u32);
    let waker = common::waker::noop();
    let mut cx = Context::from_waker(&waker);
    let allocated = allocations_in(|| {
        let mut first = pin!(conn.wait_until(Conn::Closing));
        let mut second = pin!(conn.wait_for_next(|s| s == Conn::Closed));
        let mut changed = pin!(n.changed());
        let mut sub = conn.subscribe();
        let mut followed = pin!(sub.changed());
        assert!(first.as_mut().poll(&mut cx).is_pending());
        assert!(second.as_mut().poll(&mut cx).is_pending());
        assert!(changed.as_mut().poll(&mut cx).is_pending());
        assert!(followed.as_mut().poll(&mut cx).is_pending());
        assert_eq!(conn.waiter_count(), 3);
        conn.set(Conn::Closing);
        conn.set(Conn::Closed);
        n.set(1);
        assert_eq!(first.poll(&mut cx), Poll::Ready(Conn::Closing));
        assert_eq!(second.poll(&mut cx), Poll::Ready(Conn::Closed));
        assert_eq!(changed.poll(&mut cx), Poll::Ready(1));
        assert_eq!(followed.poll(&mut cx), Poll::Ready(Conn::Closed));
    });
    assert_eq!(allocated, 0);
    assert_eq!(conn.waiter_count(), 0);
}

/// A blocking wait allocates nothing after its thread's first, whether it
/// returns at once, parks until a setter wakes it, or times out: the thread's
/// waker is made once and shared.
#[cfg(feature = "std")]
#[test]
fn blocking_waits_allocate_nothing_after_the_threads_first() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    let conn = Observable::new(Conn::Disconnected);
    let first_returned = AtomicBool::new(false);
    // The thread's first blocking wait makes its waker (and std its handle).
    assert_eq!(
        conn.wait_for_blocking(|s| s == Conn::Disconnected),
        Conn::Disconnected
    );
    std::thread::scope(|scope| {
        // Spawned before counting starts: spawning allocates. It sets each
        // target only once the waiter has registered for it.
        let setter = scope.spawn(|| {
            while conn.waiter_count() == 0 {
                std::thread::yield_now();
            }
            conn.set(Conn::Connecting);
            while !first_returned.load(Ordering::Acquire) || conn.waiter_count() == 0 {
                std::thread::yield_now();
            }
            conn.set(Conn::Closing);
        });
        let allocated = allocations_in(|| {
            assert_eq!(
                conn.wait_for_blocking(|s| s == Conn::Disconnected),
                Conn::Disconnected
            );
            assert_eq!(
                conn.wait_for_blocking(|s| s == Conn::Connecting),
                Conn::Connecting
            );
            first_returned.store(true, Ordering::Release);
            assert_eq!(
                conn.wait_for_timeout(|s| s == Conn::Closing, Duration::from_secs(60)),
                Some(Conn::Closing)
            );
            assert_eq!(
                conn.wait_for_timeout(|s| s == Conn::Closed, Duration::from_millis(1)),
                None
            );
        });
        setter.join().expect("setter");
        assert_eq!(allocated, 0);
    });
    assert_eq!(conn.waiter_count(), 0);
}

#[test]
fn an_observable_of_the_lifecycle_enum_is_small() {
    let size = std::mem::size_of::<Observable<Conn>>();
    let word = std::mem::size_of::<usize>();
    println!("size_of::<Observable<Conn>>() = {size}");
    // Word, waiter count, the notify list (its lock, both ends and its
    // length: 4 words on x86_64), 5 ledger slots and the newest window
    // start beside them; nothing on the heap.
    assert!(size <= 96, "Observable<Conn> is {size} bytes");
    assert_eq!(std::mem::size_of::<Observable<u32>>(), 6 * word);
    // A state encoded at its first access keeps its initial value next to
    // the word until then: one more word (and its two ledger slots, one
    // more for the newest window start).
    assert_eq!(std::mem::size_of::<Observable<Option<u16>>>(), 10 * word);
}

/// Owned streams (and `until` on them) yield items without allocating: the
/// stream holds its subscriber and its share of the observable, and parks
/// between items without allocating either.
#[test]
fn owned_stream_items_allocate_nothing() {
    use std::pin::pin;
    use std::sync::Arc;
    use std::task::{Context, Poll};

    use futures_core::Stream;

    let conn: Arc<Observable<Conn, 16>> = Arc::new(Observable::with_history(Conn::Disconnected));
    let waker = common::waker::noop();
    let mut cx = Context::from_waker(&waker);
    let mut transitions = pin!(conn
        .clone()
        .subscribe_owned()
        .into_transitions()
        .until(|s| s == Conn::Disconnected));
    let mut changes = pin!(conn.clone().subscribe_owned().into_changes());
    let allocated = allocations_in(|| {
        for i in 0..1_000 {
            assert!(transitions.as_mut().poll_next(&mut cx).is_pending());
            assert!(changes.as_mut().poll_next(&mut cx).is_pending());
            let s = STATES[i % 4];
            conn.set(s);
            match transitions.as_mut().poll_next(&mut cx) {
                Poll::Ready(Some(Ok(t))) => assert_eq!(t.to, s),
                other => panic!("{other:?}"),
            }
            assert_eq!(changes.as_mut().poll_next(&mut cx), Poll::Ready(Some(s)));
        }
    });
    assert_eq!(allocated, 0);
}

#[test]
fn a_wait_future_is_nine_words() {
    static CONN: Observable<Conn> = Observable::new(Conn::Connected);
    let word = std::mem::size_of::<usize>();
    // The listener (its state, waker and two links: 5 words with padding),
    // the observable, where the window begins, the ledger mask, and the
    // predicate with the wait's three bytes of state.
    assert_eq!(
        std::mem::size_of_val(&CONN.wait_until(Conn::Closing)),
        9 * word
    );
    assert_eq!(
        std::mem::size_of_val(&CONN.wait_for(|s| s == Conn::Closing)),
        9 * word
    );
    assert_eq!(std::mem::size_of_val(&CONN.changed()), 9 * word);
}
