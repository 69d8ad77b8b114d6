//! The notify list's lock: one byte that is both the lock and the list's
//! `PENDING` bit, "a listener linked since the last notify began". Putting
//! the bit in the lock makes it free: a listener sets it in the RMW that
//! takes the lock (W1 of `waiters.rs`), a notifier clears it in the RMW
//! that takes the lock, and a notifier that finds it clear returns after one
//! load, without the lock (S4).
//!
//! | byte                 | meaning                                          | a notifier                                 |
//! |----------------------|--------------------------------------------------|--------------------------------------------|
//! | `0`                  | free; nobody linked since the last notify began  | returns after its load                     |
//! | `PENDING`            | free; a listener linked since                    | locks, clearing `PENDING`; wakes the list  |
//! | `LOCKED`             | held, nobody linked since the last notify began  | returns after its load                     |
//! | `LOCKED \| PENDING`  | held, a listener linked (or is linking) since    | waits for the holder, then as `PENDING`    |
//!
//! Every write of the byte but the release is a CAS from a free value, so
//! while it is held nobody else writes it: the holder knows what `PENDING`
//! is, and releases with a plain Release store of it (no locked
//! instruction; `std::sync::Mutex`'s release is a swap).
//!
//! Holds are short and bounded (link or unlink one node, or take 16), and
//! wakers never run under the lock. A contended acquire spins with
//! [`spin_loop`](core::hint::spin_loop), then (with `std`) yields its
//! thread to the scheduler, so a holder preempted on the same core runs.
//! (Under loom holders queue on a loom mutex: the loom `acquire` says
//! why.) With `critical-section` the whole hold is inside a critical
//! section, so a `set` from an interrupt handler cannot spin on a lock its
//! own core holds; without it, neither `std` nor a critical section, a
//! handler that preempts a holder on its own core spins forever (the README
//! says so).

use crate::sync::{loom_const_fn, AtomicU8, Ordering, UnsafeCell};

/// The lock is held (not under loom: the loom `acquire`).
#[cfg_attr(loom, allow(dead_code))]
const LOCKED: u8 = 1;
/// A listener linked since the last notify began (module docs).
const PENDING: u8 = 2;

/// What an acquire does with `PENDING`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Acquire {
    /// Leaves it as it is: unlinking, refreshing a waker.
    Keep,
    /// Sets it: linking (W1).
    SetPending,
    /// Locks only if it is set, and clears it: a notify.
    TakePending,
}

/// A value behind the list's lock byte (module docs).
pub(crate) struct ListLock<T> {
    byte: AtomicU8,
    value: UnsafeCell<T>,
    /// Loom only: see the loom `acquire`.
    #[cfg(loom)]
    gate: loom::sync::Mutex<()>,
}

// SAFETY: the value is reached only through `with*`, by the one holder of
// the lock (an acquire is a CAS that sets `LOCKED` from a free byte, with
// Acquire ordering, and the release a Release store; under loom, a loom
// mutex): so sharing the lock shares `T` only as a `Mutex<T>` does, which
// needs `T: Send`.
unsafe impl<T: Send> Sync for ListLock<T> {}

impl<T> ListLock<T> {
    loom_const_fn! {
        /// Free, nothing pending.
        pub(crate) fn new(value: T) -> Self {
            ListLock {
                byte: AtomicU8::new(0),
                value: UnsafeCell::new(value),
                #[cfg(loom)]
                gate: loom::sync::Mutex::new(()),
            }
        }
    }

    /// Runs `f` under the lock; `PENDING` stays as it was.
    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        self.hold_always(Acquire::Keep, f)
    }

    /// Runs `f` under the lock, setting `PENDING` in the acquire's RMW,
    /// which is SeqCst: W1 of `waiters.rs`, for a listener that links.
    #[inline]
    pub(crate) fn with_pending<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        self.hold_always(Acquire::SetPending, f)
    }

    /// Whether `PENDING` is set: S4's SeqCst load (`waiters.rs`). A notifier
    /// that finds it clear is done, without the lock and without a call.
    #[inline]
    pub(crate) fn is_pending(&self) -> bool {
        self.byte.load(Ordering::SeqCst) & PENDING != 0
    }

    /// If `PENDING` is set: clears it in the acquire and runs `f` under the
    /// lock. `None`, without the lock, if it is clear (another notifier took
    /// it since [`is_pending`](Self::is_pending) found it set, or the holder
    /// it waited for released it clear).
    #[inline]
    pub(crate) fn take_pending<R>(&self, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        self.hold(Acquire::TakePending, f)
    }

    /// `hold` for the acquires that always lock (all but `TakePending`).
    #[inline]
    fn hold_always<R>(&self, how: Acquire, f: impl FnOnce(&mut T) -> R) -> R {
        match self.hold(how, f) {
            Some(result) => result,
            None => unreachable!("only TakePending may find nothing to do"),
        }
    }

    #[inline]
    fn hold<R>(&self, how: Acquire, f: impl FnOnce(&mut T) -> R) -> Option<R> {
        in_critical_section(|| {
            let held = self.acquire(how)?;
            // SAFETY: we hold the lock (`acquire` set `LOCKED` from a free
            // byte, with Acquire ordering, after the last holder's Release
            // store; under loom it holds the gate): nobody else reaches the
            // value until `held` drops.
            let result = self.value.with_mut(|value| f(unsafe { &mut *value }));
            drop(held);
            Some(result)
        })
    }

    /// Takes the lock, as `how` says: `None` only for `TakePending`, when
    /// `PENDING` is clear.
    ///
    /// After its first load (a guess, or S4) its loop reads the byte only
    /// with RMWs, whose failed CAS returns the latest value; a stale guess
    /// only costs a failed CAS. A held lock is waited out with `Backoff`,
    /// which keeps the spinning CASes from pulling the line away from the
    /// holder too often.
    #[cfg(not(loom))]
    #[inline]
    fn acquire(&self, how: Acquire) -> Option<Held<'_>> {
        // A guess at the byte for the CAS. (Guessing "free, nothing pending"
        // without a load costs a failed CAS per listener in a fan-out, where
        // all but the first find `PENDING` set: measured 37,028 against
        // 36,402 instructions per 64-waiter round.) A notifier's comes after
        // S4's SeqCst load in `is_pending`, so by read-read coherence it
        // reads that byte or a later one.
        let mut byte = self.byte.load(Ordering::Relaxed);
        let mut backoff = Backoff::default();
        loop {
            if how == Acquire::TakePending && byte & PENDING == 0 {
                return None;
            }
            let free = byte & !LOCKED;
            let (locked, kept, success) = match how {
                Acquire::Keep => (free | LOCKED, free, Ordering::Acquire),
                // W1: the SeqCst RMW that makes the listener seen.
                Acquire::SetPending => (PENDING | LOCKED, PENDING, Ordering::SeqCst),
                // Acquire, not SeqCst: S4's load is the protocol's SeqCst
                // point; the clear need only read the byte after the release
                // of a listener's hold (`waiters.rs`, "Arming"), which every
                // RMW does.
                Acquire::TakePending => (LOCKED, 0, Ordering::Acquire),
            };
            match self
                .byte
                .compare_exchange(free, locked, success, Ordering::Relaxed)
            {
                Ok(_) => {
                    return Some(Held {
                        byte: &self.byte,
                        kept,
                    })
                }
                Err(now) => {
                    // Held: wait. Free but not as guessed: retry at once.
                    if now & LOCKED != 0 {
                        backoff.snooze();
                    }
                    byte = now;
                }
            }
        }
    }

    /// The same under loom, whose scheduler keeps running a spinning thread
    /// that yields until the model exceeds its branch bound: holders queue
    /// on a loom mutex instead, and the byte carries `PENDING` alone, with
    /// the same SeqCst RMWs as above (S4's SeqCst load is `is_pending`, in
    /// both builds). So the models check the
    /// `PENDING` protocol; the lock itself (mutual exclusion, a release that
    /// keeps `PENDING`) is checked by this file's tests, under Miri and
    /// ThreadSanitizer.
    #[cfg(loom)]
    fn acquire(&self, how: Acquire) -> Option<Held<'_>> {
        if how == Acquire::TakePending && self.byte.load(Ordering::Relaxed) & PENDING == 0 {
            return None;
        }
        let gate = self.gate.lock().unwrap();
        match how {
            Acquire::Keep => {}
            Acquire::SetPending => {
                self.byte.fetch_or(PENDING, Ordering::SeqCst);
            }
            Acquire::TakePending => {
                if self.byte.fetch_and(!PENDING, Ordering::Acquire) & PENDING == 0 {
                    return None;
                }
            }
        }
        Some(Held { _gate: gate })
    }
}

/// The lock, held: dropping it releases it, keeping `PENDING` as `kept`
/// says (also when the hold unwinds, so a panic cannot leave it locked).
#[cfg(not(loom))]
struct Held<'a> {
    byte: &'a AtomicU8,
    kept: u8,
}

#[cfg(not(loom))]
impl Drop for Held<'_> {
    #[inline]
    fn drop(&mut self) {
        // Release: the holder's accesses to the value happen before the
        // next holder's Acquire CAS. A store, not an RMW: while the byte is
        // locked nobody else writes it (module docs).
        self.byte.store(self.kept, Ordering::Release);
    }
}

/// The loom mutex's guard (see the loom `acquire`).
#[cfg(loom)]
struct Held<'a> {
    _gate: loom::sync::MutexGuard<'a, ()>,
}

/// How a contended acquire waits (module docs).
#[cfg(not(loom))]
#[derive(Default)]
struct Backoff(u32);

#[cfg(not(loom))]
impl Backoff {
    /// Spins for 1, 2, 4, ... 64 hints, then (with `std`) yields the thread
    /// on every later call.
    const SPIN_ROUNDS: u32 = 7;

    #[inline]
    fn snooze(&mut self) {
        if self.0 < Self::SPIN_ROUNDS {
            for _ in 0..1u32 << self.0 {
                core::hint::spin_loop();
            }
            self.0 += 1;
        } else {
            #[cfg(feature = "std")]
            std::thread::yield_now();
            #[cfg(not(feature = "std"))]
            core::hint::spin_loop();
        }
    }
}

/// Runs `f` in a critical section with `critical-section`, else just runs it.
#[cfg(feature = "critical-section")]
#[inline]
fn in_critical_section<R>(f: impl FnOnce() -> R) -> R {
    critical_section::with(|_| f())
}

#[cfg(not(feature = "critical-section"))]
#[inline(always)]
fn in_critical_section<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// The lock byte itself, which loom builds replace (the loom `acquire`):
/// Miri runs these with and without `std`, and ThreadSanitizer with it.
#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn pending_is_set_by_a_listen_kept_by_other_holds_and_taken_once() {
        let lock = ListLock::new(0u32);
        assert_eq!(lock.take_pending(|_| ()), None, "nothing linked yet");
        lock.with(|n| *n += 1);
        assert_eq!(lock.take_pending(|_| ()), None, "a plain hold sets nothing");
        lock.with_pending(|n| *n += 1);
        // An unlink or a waker refresh in between must not drop it.
        lock.with(|n| *n += 1);
        assert_eq!(lock.take_pending(|n| *n), Some(3));
        assert_eq!(lock.take_pending(|_| ()), None, "taken by the first");
        assert_eq!(lock.with(|n| *n), 3);
    }

    /// Unsynchronised increments under the lock lose updates if two holds
    /// overlap: every hold kind takes part, and the count must come out
    /// exact.
    #[test]
    fn holds_exclude_each_other() {
        const THREADS: usize = 3;
        let rounds = if cfg!(miri) { 30 } else { 20_000 };
        // (increments, holds that took `PENDING`)
        let lock = ListLock::new((0usize, 0usize));
        std::thread::scope(|scope| {
            for _ in 0..THREADS {
                scope.spawn(|| {
                    for _ in 0..rounds {
                        lock.with_pending(|(n, _)| *n += 1);
                        lock.with(|(n, _)| *n += 1);
                        let _ = lock.take_pending(|(n, took)| {
                            *n += 1;
                            *took += 1;
                        });
                    }
                });
            }
        });
        let (n, took) = lock.with(|counts| *counts);
        // Every `take_pending` after its own thread's `with_pending` found
        // `PENDING` set, or another's take had just cleared it.
        assert!((1..=THREADS * rounds).contains(&took));
        assert_eq!(n, 2 * THREADS * rounds + took);
    }

    #[test]
    fn a_panic_under_the_lock_releases_it() {
        let lock = ListLock::new(0u32);
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            lock.with_pending(|_| panic!("under the lock"));
        }));
        assert!(unwound.is_err());
        assert_eq!(lock.take_pending(|n| *n), Some(0), "released, PENDING kept");
    }
}
