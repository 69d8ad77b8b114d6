//! The notify list's lock: one word that is the lock, the list's `PENDING`
//! bit ("a listener linked since the last notify began") and the count of
//! registered waiters (`waiters.rs`). Putting the bit in the lock makes it
//! free: a listener sets it in the RMW that takes the lock (W1 of
//! `waiters.rs`), a notifier clears it in the RMW that takes the lock, and a
//! notifier that finds it clear returns after one load, without the lock
//! (S4). Putting the count there too makes counting free: a waiter's first
//! listen counts it in that same RMW (W2), and a setter reads the count and
//! whether a hold is under way in one load (S2).
//!
//! | word                         | meaning                                          | a notifier                                 |
//! |------------------------------|--------------------------------------------------|--------------------------------------------|
//! | `n · WAITER`                 | free; nobody linked since the last notify began  | returns after its load                     |
//! | `n · WAITER \| PENDING`       | free; a listener linked since                    | locks, clearing `PENDING`; wakes the list  |
//! | `n · WAITER \| LOCKED`        | held, nobody linked since the last notify began  | returns after its load                     |
//! | `n · WAITER \| LOCKED \| PENDING` | held, a listener linked (or is linking) since | waits for the holder, then as `PENDING`    |
//!
//! `n` is the count of registered waiters (62 bits on 64-bit targets, 30 on
//! 32-bit ones: more waits than fit in memory). Every write of the word but
//! the release is a CAS from a free value, so while it is held nobody else
//! writes it: the holder knows what it is, and releases with a plain Release
//! store (no locked instruction; `std::sync::Mutex`'s release is a swap). A
//! waiter leaves the count ([`leave`](ListLock::leave)) with such a CAS too,
//! so it waits out a hold rather than have the release overwrite it.
//!
//! Holds are short and bounded (link or unlink one node, or take 16), and
//! wakers never run under the lock. A contended acquire spins with
//! [`spin_loop`](core::hint::spin_loop), then (with `std`) yields its
//! thread to the scheduler, so a holder preempted on the same core runs.
//! (Under loom a loom mutex stands in for the waiting: the loom `Gate` says
//! why.) With `critical-section` the whole hold is inside a critical
//! section, so a `set` from an interrupt handler cannot spin on a lock its
//! own core holds; without it, neither `std` nor a critical section, a
//! handler that preempts a holder on its own core spins forever (the README
//! says so).

use crate::sync::{loom_const_fn, AtomicUsize, Ordering, UnsafeCell};

/// The lock is held.
const LOCKED: usize = 1;
/// A listener linked since the last notify began (module docs).
const PENDING: usize = 2;
/// One registered waiter, in the count above the two flags.
const WAITER: usize = 4;

/// What an acquire does with `PENDING` and the count.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Acquire {
    /// Leaves them as they are: unlinking, refreshing a waker.
    Keep,
    /// Sets `PENDING`, and counts one more waiter if `join`: linking (W1,
    /// and W2 on a wait's first listen).
    SetPending { join: bool },
    /// Locks only if `PENDING` is set, and clears it: a notify.
    TakePending,
}

/// What S2 reads of the word (`waiters.rs`).
#[derive(Clone, Copy)]
pub(crate) struct Registered(usize);

impl Registered {
    /// Nobody registered.
    #[inline]
    pub(crate) fn is_none(self) -> bool {
        self.0 < WAITER
    }

    /// No hold was under way: the word was the last holder's release, or an
    /// RMW after it, so a SeqCst (acquiring) load of it saw everything that
    /// holder and every earlier one wrote under the lock.
    #[inline]
    pub(crate) fn between_holds(self) -> bool {
        self.0 & LOCKED == 0
    }
}

/// A value behind the list's lock word (module docs).
pub(crate) struct ListLock<T> {
    word: AtomicUsize,
    value: UnsafeCell<T>,
    /// Loom only: see [`Gate`].
    #[cfg(loom)]
    gate: loom::sync::Mutex<()>,
}

// SAFETY: the value is reached only through `with*`, by the one holder of
// the lock (an acquire is a CAS that sets `LOCKED` from a free word, with
// Acquire ordering, after the last holder's Release store; under loom the
// gate also excludes): so sharing the lock shares `T` only as a `Mutex<T>`
// does, which needs `T: Send`.
unsafe impl<T: Send> Sync for ListLock<T> {}

impl<T> ListLock<T> {
    loom_const_fn! {
        /// Free, nothing pending, nobody registered.
        pub(crate) fn new(value: T) -> Self {
            ListLock {
                word: AtomicUsize::new(0),
                value: UnsafeCell::new(value),
                #[cfg(loom)]
                gate: loom::sync::Mutex::new(()),
            }
        }
    }

    /// Runs `f` under the lock; `PENDING` and the count stay as they were.
    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        self.hold_always(Acquire::Keep, f)
    }

    /// Runs `f` under the lock, setting `PENDING` in the acquire's RMW,
    /// which is SeqCst: W1 of `waiters.rs`, for a listener that links. With
    /// `join`, that RMW also counts one more registered waiter (W2).
    #[inline]
    pub(crate) fn with_pending<R>(&self, join: bool, f: impl FnOnce(&mut T) -> R) -> R {
        self.hold_always(Acquire::SetPending { join }, f)
    }

    /// Whether `PENDING` is set: S4's SeqCst load (`waiters.rs`). A notifier
    /// that finds it clear is done, without the lock and without a call.
    #[inline]
    pub(crate) fn is_pending(&self) -> bool {
        self.word.load(Ordering::SeqCst) & PENDING != 0
    }

    /// S2's SeqCst load (`waiters.rs`): the count, and whether a hold was
    /// under way.
    #[inline]
    pub(crate) fn registered_in_order(&self) -> Registered {
        Registered(self.word.load(Ordering::SeqCst))
    }

    /// Registered waiters, for diagnostics. Relaxed: a snapshot.
    #[inline]
    pub(crate) fn registered(&self) -> usize {
        self.word.load(Ordering::Relaxed) / WAITER
    }

    /// Counts one waiter out, with a CAS from a free word (module docs).
    /// Relaxed: the count only lets setters skip work, and a late leave
    /// costs a setter one needless ledger write or notify, never a missed
    /// one.
    #[inline]
    pub(crate) fn leave(&self) {
        in_critical_section(|| {
            #[cfg(loom)]
            let _gate = Gate::enter(self);
            let mut word = self.word.load(Ordering::Relaxed);
            let mut backoff = Backoff::default();
            loop {
                let free = word & !LOCKED;
                debug_assert!(free >= WAITER, "a leave without a join");
                match self.word.compare_exchange_weak(
                    free,
                    free - WAITER,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => return,
                    Err(now) => {
                        if now & LOCKED != 0 {
                            backoff.snooze();
                        }
                        word = now;
                    }
                }
            }
        })
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
            // word, with Acquire ordering, after the last holder's Release
            // store): nobody else reaches the value until `held` drops.
            let result = self.value.with_mut(|value| f(unsafe { &mut *value }));
            drop(held);
            Some(result)
        })
    }

    /// Takes the lock, as `how` says: `None` only for `TakePending`, when
    /// `PENDING` is clear.
    ///
    /// After its first load (a guess, or S4) its loop reads the word only
    /// with RMWs, whose failed CAS returns the latest value; a stale guess
    /// only costs a failed CAS. A held lock is waited out with `Backoff`,
    /// which keeps the spinning CASes from pulling the line away from the
    /// holder too often.
    #[inline]
    fn acquire(&self, how: Acquire) -> Option<Held<'_>> {
        // A guess at the word for the CAS. (Guessing "free, nothing pending"
        // without a load costs a failed CAS per listener in a fan-out, where
        // all but the first find `PENDING` set: measured 37,028 against
        // 36,402 instructions per 64-waiter round.) A notifier's comes after
        // S4's SeqCst load in `is_pending`, so by read-read coherence it
        // reads that word or a later one.
        let mut word = self.word.load(Ordering::Relaxed);
        if how == Acquire::TakePending && word & PENDING == 0 {
            return None;
        }
        #[cfg(loom)]
        let gate = Gate::enter(self);
        let mut backoff = Backoff::default();
        loop {
            if how == Acquire::TakePending && word & PENDING == 0 {
                return None;
            }
            let free = word & !LOCKED;
            let (kept, success) = match how {
                Acquire::Keep => (free, Ordering::Acquire),
                // W1 (and W2): the SeqCst RMW that makes the listener seen.
                Acquire::SetPending { join } => (
                    (free | PENDING) + if join { WAITER } else { 0 },
                    Ordering::SeqCst,
                ),
                // Acquire, not SeqCst: S4's load is the protocol's SeqCst
                // point; the clear need only read the word after the release
                // of a listener's hold (`waiters.rs`, "Arming"), which every
                // RMW does.
                Acquire::TakePending => (free & !PENDING, Ordering::Acquire),
            };
            match self
                .word
                .compare_exchange(free, kept | LOCKED, success, Ordering::Relaxed)
            {
                Ok(_) => {
                    return Some(Held {
                        word: &self.word,
                        kept,
                        #[cfg(loom)]
                        _gate: gate,
                    })
                }
                Err(now) => {
                    // Held: wait. Free but not as guessed: retry at once.
                    if now & LOCKED != 0 {
                        backoff.snooze();
                    }
                    word = now;
                }
            }
        }
    }
}

/// The lock, held: dropping it releases it, with `PENDING` and the count as
/// `kept` says (also when the hold unwinds, so a panic cannot leave it
/// locked).
struct Held<'a> {
    word: &'a AtomicUsize,
    kept: usize,
    /// Loom only: released after the word, when this drops.
    #[cfg(loom)]
    _gate: Gate<'a>,
}

impl Drop for Held<'_> {
    #[inline]
    fn drop(&mut self) {
        // Release: the holder's accesses to the value happen before the
        // next holder's Acquire CAS. A store, not an RMW: while the word is
        // locked nobody else writes it (module docs).
        self.word.store(self.kept, Ordering::Release);
    }
}

/// Under loom, every acquire and every leave first takes a loom mutex, the
/// gate, and keeps it until its word is free again: loom's scheduler keeps
/// running a thread that spins until the model exceeds its branch bound, so
/// the gate does the waiting the spin does in real builds. Inside it the
/// word's own CASes run as they do there, so the models check the real
/// RMWs on the word (W1, W2, S2, S4); they never find it held, and so never
/// spin. Mutual exclusion itself is checked by this file's tests, under
/// Miri and ThreadSanitizer.
#[cfg(loom)]
struct Gate<'a>(loom::sync::MutexGuard<'a, ()>);

#[cfg(loom)]
impl<'a> Gate<'a> {
    fn enter<T>(lock: &'a ListLock<T>) -> Self {
        Gate(lock.gate.lock().unwrap())
    }
}

/// How a contended acquire or leave waits (module docs).
#[derive(Default)]
struct Backoff(u32);

impl Backoff {
    /// Spins for 1, 2, 4, ... 64 hints, then (with `std`) yields the thread
    /// on every later call.
    #[cfg_attr(loom, allow(dead_code))]
    const SPIN_ROUNDS: u32 = 7;

    /// Under loom the gate keeps every other writer out (`Gate`), so no
    /// CAS there finds the word held.
    #[cfg(loom)]
    fn snooze(&mut self) {
        unreachable!("under loom the gate keeps the word free");
    }

    #[cfg(not(loom))]
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

/// The lock word itself, whose waiting loom builds replace (`Gate`): Miri
/// runs these with and without `std`, and ThreadSanitizer with it.
#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn pending_is_set_by_a_listen_kept_by_other_holds_and_taken_once() {
        let lock = ListLock::new(0u32);
        assert_eq!(lock.take_pending(|_| ()), None, "nothing linked yet");
        lock.with(|n| *n += 1);
        assert_eq!(lock.take_pending(|_| ()), None, "a plain hold sets nothing");
        lock.with_pending(false, |n| *n += 1);
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
                        lock.with_pending(false, |(n, _)| *n += 1);
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
    fn a_join_counts_in_the_acquire_and_a_leave_uncounts() {
        let lock = ListLock::new(());
        assert!(lock.registered_in_order().is_none());
        lock.with_pending(true, |()| {
            // Counted already, and seen as a hold under way.
            let seen = lock.registered_in_order();
            assert!(!seen.is_none() && !seen.between_holds());
        });
        lock.with_pending(false, |()| ());
        lock.with(|()| ());
        let seen = lock.registered_in_order();
        assert!(!seen.is_none() && seen.between_holds());
        assert_eq!(
            lock.registered(),
            1,
            "a listen again, or a plain hold, counts nobody"
        );
        assert_eq!(
            lock.take_pending(|()| ()),
            Some(()),
            "PENDING beside the count"
        );
        lock.leave();
        assert!(lock.registered_in_order().is_none());
    }

    /// A leave that a holder's release overwrote, or a join lost to a
    /// concurrent leave, leaves the count off: joins, leaves and every hold
    /// kind race, and the count must come back to zero.
    #[test]
    fn joins_and_leaves_racing_holds_keep_the_count_exact() {
        const THREADS: usize = 3;
        let rounds = if cfg!(miri) { 30 } else { 20_000 };
        let lock = ListLock::new(0usize);
        std::thread::scope(|scope| {
            for _ in 0..THREADS {
                scope.spawn(|| {
                    for _ in 0..rounds {
                        lock.with_pending(true, |n| *n += 1);
                        lock.with(|n| *n += 1);
                        let _ = lock.take_pending(|n| *n += 1);
                        lock.leave();
                    }
                });
            }
        });
        assert_eq!(lock.registered(), 0);
        assert!(lock.with(|n| *n) >= 2 * THREADS * rounds);
    }

    #[test]
    fn a_panic_under_the_lock_releases_it() {
        let lock = ListLock::new(0u32);
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            lock.with_pending(false, |_| panic!("under the lock"));
        }));
        assert!(unwound.is_err());
        assert_eq!(lock.take_pending(|n| *n), Some(0), "released, PENDING kept");
    }
}
