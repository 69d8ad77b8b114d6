//! [`Observable`]: the state word, its ledger and its notify list.

use core::fmt;

use crate::history::{self, Ring, TransitionSlot};
use crate::ledger::{has_one_value, record_entry_unless_held, Ledger};
use crate::state::State;
use crate::sync::{loom_const, loom_const_fn, Word};
use crate::wait::{AnyValue, Changed, Equals, Mode, SomeMatching, StateCheck, WaitFor};
use crate::wait::{WaitForSome, WaitUntil};
use crate::waiters::Waiters;
use crate::word::{Layout, StateWord};

/// Observable state in one atomic word.
///
/// Any thread, task or interrupt handler changes it with [`set`](Self::set),
/// [`compare_exchange`](Self::compare_exchange) or [`update`](Self::update);
/// tasks on any executor wait for it with [`wait_for`](Self::wait_for) and
/// friends, threads with `wait_for_blocking`. For states with ledger
/// variants (derived enums, finite structs, `bool`, `Option`) a wait never
/// misses a variant that was entered after it began, however briefly, and
/// returns that entry, data included; [`State`] tables what is exact for
/// each shape.
///
/// ```
/// use stateword::{Observable, State};
///
/// #[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
/// enum Conn { Disconnected, Connecting, Connected, Closing, Closed }
///
/// static CONN: Observable<Conn> = Observable::new(Conn::Disconnected);
///
/// # futures_lite::future::block_on(async {
/// let drain = CONN.wait_for(|s| s == Conn::Closing);
/// futures_lite::pin!(drain);
/// assert!(futures_lite::future::poll_once(&mut drain).await.is_none()); // registered
///
/// CONN.set(Conn::Closing);
/// CONN.set(Conn::Closed); // back to back: Closing is already gone
///
/// assert_eq!(drain.await, Conn::Closing); // ...and still seen
/// assert_eq!(CONN.get(), Conn::Closed);
/// # });
/// ```
pub struct Observable<S: State, const HISTORY: usize = 0> {
    /// Value and version (`word.rs`).
    pub(crate) word: StateWord<S>,
    /// The last entry into each ledger variant (`ledger.rs`).
    pub(crate) ledger: S::Ledger,
    /// Who waits, and the notify list (`waiters.rs`: the protocol).
    pub(crate) waiters: Waiters,
    /// The last `HISTORY` transitions; zero-sized by default.
    pub(crate) history: [TransitionSlot; HISTORY],
}

impl<S: State> Observable<S> {
    loom_const_fn! {
        /// An observable holding `initial`, at version 0.
        ///
        /// `const`, so an observable can be a `static`:
        ///
        /// ```
        /// use stateword::Observable;
        ///
        /// static READY: Observable<bool> = Observable::new(false);
        /// assert!(!READY.get());
        /// ```
        pub fn new(initial: S) -> Self {
            Observable::with_history(initial)
        }
    }
}

impl<S: State, const HISTORY: usize> Observable<S, HISTORY> {
    loom_const_fn! {
        /// An observable holding `initial` that keeps its last `HISTORY`
        /// transitions, for [`subscribe`](Self::subscribe)rs that must see every
        /// transition in order, and for waits that are exact on any state type.
        ///
        /// `const`, so it can be a `static`. Memory: two words per transition
        /// kept, fixed at compile time. `HISTORY` must be a power of two, so the
        /// ring index stays continuous when the version wraps:
        ///
        /// ```
        /// use stateword::Observable;
        ///
        /// static LEVEL: Observable<u32, 16> = Observable::with_history(0);
        /// LEVEL.set(1);
        /// assert_eq!(LEVEL.version(), 1);
        /// ```
        ///
        /// ```compile_fail,E0080
        /// // 12 is not a power of two: a compile error, not a panic.
        /// let n: stateword::Observable<u32, 12> = stateword::Observable::with_history(0);
        /// n.set(1);
        /// ```
        pub fn with_history(initial: S) -> Self {
            Observable {
                word: StateWord::new(initial),
                waiters: Waiters::new(),
                ledger: loom_const!(read S::Ledger::EMPTY),
                history: Ring::<S, HISTORY>::empty(),
            }
        }
    }

    /// The current value.
    ///
    /// One atomic load; never blocks. Acquire: whatever the setter wrote before
    /// its `set` is visible after a `get` that returns the value it set.
    ///
    /// ```
    /// let hits = stateword::Observable::new(3u32);
    /// assert_eq!(hits.get(), 3);
    /// ```
    #[inline]
    pub fn get(&self) -> S {
        Layout::<S>::value(self.word.read())
    }

    /// How many transitions this observable has made so far.
    ///
    /// Setting an equal value is not a transition. The count lives in the bits
    /// the value leaves free in the word (56 for a one-byte state on 64-bit
    /// targets) and wraps to 0 past that.
    ///
    /// ```
    /// let flag = stateword::Observable::new(false);
    /// flag.set(true);
    /// flag.set(true); // equal: no transition
    /// flag.set(false);
    /// assert_eq!(flag.version(), 2);
    /// ```
    #[inline]
    pub fn version(&self) -> u64 {
        Layout::<S>::version_u64(self.word.read())
    }

    /// How many waits are registered right now: futures polled at least once
    /// and not yet completed or dropped, and blocking waits in progress.
    ///
    /// A snapshot for diagnostics and tests; it may be stale as soon as it
    /// returns. A wait whose condition already held at its first check never
    /// registers.
    ///
    /// ```
    /// use futures_lite::future::{block_on, poll_once};
    ///
    /// let ready = stateword::Observable::new(false);
    /// {
    ///     let mut wait = std::pin::pin!(ready.wait_until(true));
    ///     assert!(block_on(poll_once(&mut wait)).is_none());
    ///     assert_eq!(ready.waiter_count(), 1);
    /// } // the wait is dropped here
    /// assert_eq!(ready.waiter_count(), 0);
    /// ```
    pub fn waiter_count(&self) -> usize {
        self.waiters.count()
    }

    /// Sets the value and returns the previous one.
    ///
    /// Setting the current value is a no-op: no version bump, no wakeup.
    /// Lock-free: a CAS loop on the word, and with no waiter registered
    /// nothing else. When a waiter has listened since the last notify it
    /// also takes the notify list's lock, to take the waiters' nodes out; it
    /// wakes them after releasing it.
    ///
    /// ```
    /// let level = stateword::Observable::new(1u8);
    /// assert_eq!(level.set(2), 1);
    /// assert_eq!(level.set(2), 2); // no-op
    /// assert_eq!(level.version(), 1);
    /// ```
    #[inline]
    pub fn set(&self, value: S) -> S {
        // `update(|_| Some(value))` in effect, written out: the closure version
        // measured 6% slower on the no-waiter path (3.38 ns against 3.19 ns).
        // A guess first: an equal value returns it without publishing
        // anything, and a differing one goes through the CAS.
        let mut word = self.word.guess();
        loop {
            let previous = Layout::<S>::value(word);
            if previous == value {
                return previous;
            }
            match self.transition(word, value) {
                Ok(()) => return previous,
                Err(actual) => word = actual,
            }
        }
    }

    /// Sets the value to `new` if it is `current`.
    ///
    /// Returns `Ok(previous)` (equal to `current`) when it was, `Err(actual)`
    /// otherwise. `current == new` succeeds without a transition.
    ///
    /// ```
    /// let n = stateword::Observable::new(5u16);
    /// assert_eq!(n.compare_exchange(5, 6), Ok(5));
    /// assert_eq!(n.compare_exchange(5, 7), Err(6));
    /// ```
    pub fn compare_exchange(&self, current: S, new: S) -> Result<S, S> {
        self.update(|s| (s == current).then_some(new))
    }

    /// Computes the next value from the current one and commits it if nothing
    /// changed meanwhile, retrying otherwise (`fetch_update` semantics).
    ///
    /// `f` may run several times, on successive values. It returns `None` to
    /// give up: the result is then `Err(current)`. On success the result is
    /// `Ok(previous)`; if `f` returned the value it was given, nothing changes.
    ///
    /// ```
    /// let in_flight = stateword::Observable::new(0u32);
    /// assert_eq!(in_flight.update(|n| Some(n + 1)), Ok(0));
    /// assert_eq!(in_flight.update(|n| n.checked_sub(2)), Err(1));
    /// assert_eq!(in_flight.get(), 1);
    /// ```
    #[inline]
    pub fn update(&self, mut f: impl FnMut(S) -> Option<S>) -> Result<S, S> {
        // A read, not a guess: the previous value handed to `f` (and
        // returned) comes with whatever its setter wrote, as `get` does.
        let mut word = self.word.read();
        loop {
            let previous = Layout::<S>::value(word);
            let next = match f(previous) {
                None => return Err(previous),
                Some(next) if next == previous => return Ok(previous),
                Some(next) => next,
            };
            match self.transition(word, next) {
                Ok(()) => return Ok(previous),
                Err(actual) => word = actual,
            }
        }
    }

    /// Commits `expected → next` as one transition (S1 in `waiters.rs`),
    /// records it and tells the waiters; or returns the word that was there
    /// instead.
    #[inline]
    fn transition(&self, expected: Word, next: S) -> Result<(), Word> {
        let new = self.word.try_transition(expected, next)?;
        let version = Layout::<S>::version(new);
        if HISTORY > 0 {
            // Always, waiters or not: subscribers read it later. Before the
            // waiters are told, so a woken reader finds it (`history.rs`).
            history::record(
                &self.history,
                version,
                Layout::<S>::value(expected),
                next,
                &self.word,
            );
        }
        self.waiters.after_transition(|| {
            if S::VARIANTS > 0 {
                let index = next.index();
                let skippable = HISTORY == 0 && has_one_value::<S>(index);
                let newest = skippable.then(|| self.ledger.newest_window());
                record_entry_unless_held::<S>(self.ledger.slot(index), new, &self.word, newest);
            }
        });
        Ok(())
    }

    /// Waits until the state satisfies `predicate`, and returns the value that
    /// did.
    ///
    /// The future completes if the state matched when it was first polled, or
    /// — states with ledger variants — if any transition into a matching value
    /// completes after that, *even if the state moved on before this task ran
    /// again*: it then returns that matched value, not whatever the state is
    /// by now. If several matching values were entered meanwhile it returns
    /// the earliest it can prove. For a variant that carries data, what is
    /// kept is the latest entry of that variant since the wait began: a
    /// predicate on the data sees that entry (every entry, with a history
    /// ring).
    ///
    /// For integers, `char` and structs that are not finite the wait is
    /// level-triggered: it checks the current value whenever it is woken, so
    /// a value held only briefly can be missed. Use [`changed`](Self::changed)
    /// to count transitions exactly, or a history ring to see every value.
    ///
    /// `predicate` must be pure: it may be called any number of times, on any
    /// value the state passed through, and when the wait registers on the one
    /// value of every ledger variant that has one. Cancel-safe: dropping the future at any point
    /// leaves nothing behind. Compose timeouts with your runtime's
    /// (`tokio::time::timeout`, ...).
    ///
    /// ```
    /// use stateword::Observable;
    ///
    /// let temp = Observable::new(20i16);
    /// # futures_lite::future::block_on(async {
    /// temp.set(31);
    /// assert_eq!(temp.wait_for(|t| t > 30).await, 31);
    /// # });
    /// ```
    pub fn wait_for<P: FnMut(S) -> bool>(&self, predicate: P) -> WaitFor<'_, S, P, HISTORY> {
        WaitFor(StateCheck::engine(self, predicate, Mode::Level))
    }

    /// Waits until the state equals `target`: sugar for
    /// `wait_for(|s| s == target)`, with the same guarantees.
    ///
    /// ```
    /// use stateword::Observable;
    ///
    /// let door_open = Observable::new(false);
    /// # futures_lite::future::block_on(async {
    /// door_open.set(true);
    /// assert!(door_open.wait_until(true).await);
    /// # });
    /// ```
    pub fn wait_until(&self, target: S) -> WaitUntil<'_, S, HISTORY> {
        WaitUntil(StateCheck::engine(self, Equals(target), Mode::Level))
    }

    /// Waits for a transition, after the first poll, into a value that
    /// satisfies `predicate`; the value at the first poll is ignored.
    ///
    /// Exact as [`wait_for`](Self::wait_for) is; for level-triggered states
    /// it completes when it sees a matching value at a newer version.
    ///
    /// ```
    /// use stateword::Observable;
    /// use futures_lite::future::{block_on, poll_once};
    ///
    /// let up = Observable::new(true);
    /// block_on(async {
    ///     let next_up = up.wait_for_next(|s| s);
    ///     futures_lite::pin!(next_up);
    ///     assert!(poll_once(&mut next_up).await.is_none()); // already true: ignored
    ///     up.set(false);
    ///     up.set(true);
    ///     assert!(next_up.await);
    /// });
    /// ```
    pub fn wait_for_next<P: FnMut(S) -> bool>(&self, predicate: P) -> WaitFor<'_, S, P, HISTORY> {
        WaitFor(StateCheck::engine(self, predicate, Mode::Next))
    }

    /// Waits until at least one transition happened after the first poll, and
    /// returns the value then. Exact for every state type: it compares
    /// versions.
    ///
    /// ```
    /// use stateword::Observable;
    /// use futures_lite::future::{block_on, poll_once};
    ///
    /// let n = Observable::new(0u32);
    /// block_on(async {
    ///     let changed = n.changed();
    ///     futures_lite::pin!(changed);
    ///     assert!(poll_once(&mut changed).await.is_none());
    ///     n.set(1);
    ///     n.set(0); // back where it was, but it did change
    ///     assert_eq!(changed.await, 0);
    /// });
    /// ```
    pub fn changed(&self) -> Changed<'_, S, HISTORY> {
        Changed(StateCheck::engine(self, AnyValue, Mode::Changed))
    }
}

impl<S: State, const HISTORY: usize> Observable<Option<S>, HISTORY> {
    /// Waits until the state is `Some` of a value that satisfies
    /// `predicate`, and returns that value: [`wait_for`](Self::wait_for) with
    /// its guarantees, narrowed from `Option<S>` to `S`.
    ///
    /// ```
    /// use stateword::{Observable, State};
    ///
    /// #[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
    /// enum Peer { Primary, Replica }
    ///
    /// let peer = Observable::new(None);
    /// # futures_lite::future::block_on(async {
    /// let any = peer.wait_for_some(|_| true);
    /// futures_lite::pin!(any);
    /// assert!(futures_lite::future::poll_once(&mut any).await.is_none());
    /// peer.set(Some(Peer::Replica));
    /// peer.set(None); // gone again: the wait still saw it
    /// let found: Peer = any.await;
    /// assert_eq!(found, Peer::Replica);
    /// # });
    /// ```
    pub fn wait_for_some<P: FnMut(S) -> bool>(
        &self,
        predicate: P,
    ) -> WaitForSome<'_, S, P, HISTORY> {
        WaitForSome(StateCheck::engine(
            self,
            SomeMatching(predicate),
            Mode::Level,
        ))
    }
}

impl<S: State + Default, const HISTORY: usize> Default for Observable<S, HISTORY> {
    /// An observable holding `S::default()`.
    ///
    /// ```
    /// let n: stateword::Observable<u8> = Default::default();
    /// assert_eq!(n.get(), 0);
    /// ```
    fn default() -> Self {
        Observable::with_history(S::default())
    }
}

// Without history only: `Observable::from(x)` must infer its type.
impl<S: State> From<S> for Observable<S> {
    /// An observable holding `value`.
    ///
    /// ```
    /// let flag = stateword::Observable::from(true);
    /// assert!(flag.get());
    /// ```
    fn from(value: S) -> Self {
        Observable::new(value)
    }
}

impl<S: State + fmt::Debug, const HISTORY: usize> fmt::Debug for Observable<S, HISTORY> {
    /// Shows the value and version from one atomic load; never blocks.
    ///
    /// ```
    /// let flag = stateword::Observable::new(true);
    /// assert_eq!(
    ///     format!("{flag:?}"),
    ///     "Observable { value: true, version: 0, waiters: 0, history: 0 }"
    /// );
    /// ```
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = self.word.read();
        f.debug_struct("Observable")
            .field("value", &Layout::<S>::value(word))
            .field("version", &Layout::<S>::version_u64(word))
            .field("waiters", &self.waiter_count())
            .field("history", &HISTORY)
            .finish()
    }
}

#[cfg(all(test, not(loom), feature = "derive"))]
mod tests {
    use super::*;
    use crate::sync::Ordering::Relaxed;
    use core::task::Poll;

    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    enum Conn {
        Connecting,
        Connected,
        Closing,
        Closed,
    }

    /// By hand, as a user without the derive would write it.
    impl State for Conn {
        const BITS: u32 = 2;
        const VARIANTS: usize = 4;
        const FINITE: bool = true;
        type Ledger = crate::ledger::VariantLedger<4>;
        type Initial = crate::LazyInitial<Self>;
        fn encode(self) -> u64 {
            self as u64
        }
        fn decode(bits: u64) -> Self {
            Self::from_index(bits as usize).unwrap_or(Conn::Connecting)
        }
        fn index(self) -> usize {
            self as usize
        }
        fn from_index(index: usize) -> Option<Self> {
            [
                Conn::Connecting,
                Conn::Connected,
                Conn::Closing,
                Conn::Closed,
            ]
            .get(index)
            .copied()
        }
    }

    /// Variants with data, and a wider encoding: 2 + 16 bits, and the
    /// "encoded" flag, leave fewer version bits than `Conn`'s 2.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, crate::State)]
    enum Link {
        Down,
        Up { peer: u8 },
        Closed { code: u16 },
    }

    impl<S: State> Observable<S> {
        /// An observable that has already made `version` transitions, as
        /// if every variant was last entered then (with `value`'s data, for
        /// variants that carry some): to test the wrap-around.
        fn at_version(version: Word, value: S) -> Self {
            let o = Observable::new(value);
            o.word.jump_to(version, value);
            for index in 0..S::VARIANTS {
                let entry = S::from_index(index).unwrap_or(value);
                o.ledger
                    .slot(index)
                    .store(Layout::<S>::pack(version, entry), Relaxed);
            }
            o
        }
    }

    #[allow(clippy::incompatible_msrv)] // tests are not built at the MSRV
    fn poll<F: core::future::Future + Unpin>(f: &mut F) -> Poll<F::Output> {
        let cx = &mut core::task::Context::from_waker(core::task::Waker::noop());
        core::pin::Pin::new(f).poll(cx)
    }

    const TOP: Word = Layout::<Conn>::VERSION_MASK;

    #[test]
    fn a_transient_entry_across_the_version_wrap_is_seen() {
        let conn = Observable::at_version(TOP - 1, Conn::Connected);
        let mut w = core::pin::pin!(conn.wait_until(Conn::Closing));
        assert!(poll(&mut w).is_pending());
        conn.set(Conn::Connecting); // TOP
        conn.set(Conn::Closing); // 0: a plain `>` would call this older than v0
        conn.set(Conn::Closed); // 1
        assert_eq!(conn.version(), 1);
        assert_eq!(poll(&mut w), Poll::Ready(Conn::Closing));
    }

    #[test]
    fn an_entry_before_registration_stays_old_across_the_wrap() {
        let conn = Observable::at_version(TOP - 3, Conn::Connected);
        conn.set(Conn::Closing); // TOP - 2, before the wait
        conn.set(Conn::Connected); // TOP - 1
        let mut w = core::pin::pin!(conn.wait_for_next(|s| s == Conn::Closing));
        assert!(poll(&mut w).is_pending());
        for s in [
            Conn::Connecting,
            Conn::Connected,
            Conn::Closed,
            Conn::Connected,
        ] {
            conn.set(s); // TOP, 0, 1, 2
        }
        assert_eq!(poll(&mut w), Poll::Pending);
        conn.set(Conn::Closing);
        conn.set(Conn::Closed);
        assert_eq!(poll(&mut w), Poll::Ready(Conn::Closing));
    }

    #[test]
    fn changed_is_exact_across_the_wrap_of_a_32_bit_version() {
        let top = Layout::<u32>::VERSION_MASK;
        assert_eq!(top, u32::MAX as Word, "a u32 state leaves 32 version bits");
        let n = Observable::at_version(top, 5u32);
        let mut changed = core::pin::pin!(n.changed());
        assert!(poll(&mut changed).is_pending());
        n.set(6); // wraps to version 0
        assert_eq!(n.version(), 0);
        assert_eq!(poll(&mut changed), Poll::Ready(6));
    }

    #[test]
    fn an_entry_older_than_half_the_version_space_is_overwritten() {
        // Serial-number "max" would keep this stale slot forever: it looks
        // newer than any version more than half the space after it.
        let conn = Observable::new(Conn::Connected);
        let stale = 5;
        let now = stale + (TOP >> 1) + 10;
        conn.ledger
            .slot(Conn::Closing.index())
            .store(Layout::<Conn>::pack(stale, Conn::Closing), Relaxed);
        conn.word.jump_to(now - 1, Conn::Connected);
        let mut w = core::pin::pin!(conn.wait_until(Conn::Closing));
        assert!(poll(&mut w).is_pending());
        conn.set(Conn::Closing);
        conn.set(Conn::Closed);
        let slot = conn.ledger.slot(Conn::Closing.index()).load(Relaxed);
        assert_eq!(Layout::<Conn>::version(slot), now);
        assert_eq!(poll(&mut w), Poll::Ready(Conn::Closing));
    }

    #[test]
    fn an_entry_every_registered_window_holds_is_not_recorded_again() {
        let conn = Observable::new(Conn::Connected);
        let closing = || {
            let slot = conn.ledger.slot(Conn::Closing.index());
            Layout::<Conn>::version(slot.load(Relaxed))
        };
        let mut early = core::pin::pin!(conn.wait_until(Conn::Closed));
        assert!(poll(&mut early).is_pending()); // its window starts at 0
        conn.set(Conn::Closing); // 1: recorded
        conn.set(Conn::Connected); // 2
        conn.set(Conn::Closing); // 3: the only window, from 0, holds 1
        assert_eq!(closing(), 1, "recorded again");
        conn.set(Conn::Connected); // 4

        // A wait that begins at 4 publishes it: 1 lies outside its window,
        // so the next entry is recorded, and found.
        let mut late = core::pin::pin!(conn.wait_until(Conn::Closing));
        assert!(poll(&mut late).is_pending());
        conn.set(Conn::Closing); // 5
        conn.set(Conn::Connected); // 6
        assert_eq!(closing(), 5);
        assert_eq!(poll(&mut late), Poll::Ready(Conn::Closing));
        assert_eq!(poll(&mut early), Poll::Pending);
    }

    #[test]
    fn with_a_history_ring_every_entry_is_recorded() {
        // Waits on a ring publish no window start (theirs moves on with the
        // ring scan), so no entry is left out for them: a wait that lags
        // past the ring takes the ledger from where its scan stopped.
        let conn: Observable<Conn, 2> = Observable::with_history(Conn::Connected);
        let mut early = core::pin::pin!(conn.wait_until(Conn::Closed));
        assert!(poll(&mut early).is_pending());
        conn.set(Conn::Closing); // 1
        conn.set(Conn::Connected); // 2
        let mut late = core::pin::pin!(conn.wait_until(Conn::Closing));
        assert!(poll(&mut late).is_pending()); // its window starts at 2
        conn.set(Conn::Closing); // 3: the slot holds 1, before that window
        for _ in 0..2 {
            conn.set(Conn::Connecting);
            conn.set(Conn::Connected);
        } // 4 to 7: the ring holds 6 and 7 only
        assert_eq!(poll(&mut late), Poll::Ready(Conn::Closing));
    }

    #[test]
    fn an_entry_that_carries_data_is_always_recorded() {
        let link = Observable::new(Link::Down);
        let closed = Link::Closed { code: 0 }.index();
        let mut wait = core::pin::pin!(link.wait_for(|_| false));
        assert!(poll(&mut wait).is_pending());
        link.set(Link::Closed { code: 1 }); // 1
        link.set(Link::Down); // 2
        link.set(Link::Closed { code: 2 }); // 3: its data is new
        let slot = link.ledger.slot(closed).load(Relaxed);
        assert_eq!(Layout::<Link>::version(slot), 3);
        assert_eq!(Layout::<Link>::value(slot), Link::Closed { code: 2 });
    }

    #[test]
    fn a_late_record_puts_a_later_entry_of_its_variant_back() {
        // A setter that entered `Closing` at 7 records only now, when the
        // slot holds a later entry of `Closing` (10) and the word is at 12:
        // its swap takes 10 out, and 10 goes back in.
        let conn = Observable::new(Conn::Connected);
        let slot = conn.ledger.slot(Conn::Closing.index());
        let later = Layout::<Conn>::pack(10, Conn::Closing);
        slot.store(later, Relaxed);
        conn.word.jump_to(12, Conn::Connected);
        crate::ledger::record_entry(slot, Layout::<Conn>::pack(7, Conn::Closing), &conn.word);
        assert_eq!(slot.load(Relaxed), later);
        // An older entry (3) is replaced.
        slot.store(Layout::<Conn>::pack(3, Conn::Closing), Relaxed);
        crate::ledger::record_entry(slot, Layout::<Conn>::pack(7, Conn::Closing), &conn.word);
        assert_eq!(Layout::<Conn>::version(slot.load(Relaxed)), 7);
    }

    #[test]
    fn a_setter_stalled_for_half_a_cycle_still_records_for_an_earlier_window() {
        // `Link` has 45 version bits: half a cycle is in reach, so the
        // setter counts the newest start back from the word. A wait whose
        // window starts at 97 needs an entry of `Down` after it; the slot
        // holds one from 90; this setter entered `Down` at 100 and stalled
        // before its ledger step while half a cycle of transitions went by
        // and another wait registered (start = newest). Serial order calls
        // that start "before 100" and 90 "between them", and would leave
        // 100 out.
        const _: () = assert!(!Layout::<Link>::HALF_CYCLE_OUT_OF_REACH);
        const _: () = assert!(Layout::<Conn>::HALF_CYCLE_OUT_OF_REACH);
        let top = Layout::<Link>::VERSION_MASK;
        let link = Observable::new(Link::Down);
        let slot = link.ledger.slot(Link::Down.index());
        let newest = link.ledger.newest_window();
        let stalled = 100;
        let start = (stalled + top / 2 + 6) & top;
        slot.store(Layout::<Link>::pack(90, Link::Down), Relaxed);
        newest.store(start, Relaxed);
        link.word.jump_to((start + 1) & top, Link::Up { peer: 1 });
        let entry = Layout::<Link>::pack(stalled, Link::Down);
        crate::ledger::record_entry_unless_held(slot, entry, &link.word, Some(newest));
        assert_eq!(Layout::<Link>::version(slot.load(Relaxed)), stalled);

        // Not stalled: the newest start (95) is before the slot's entry
        // (98), which every registered window holds, so 100 is left out.
        slot.store(Layout::<Link>::pack(98, Link::Down), Relaxed);
        newest.store(95, Relaxed);
        link.word.jump_to(101, Link::Up { peer: 1 });
        crate::ledger::record_entry_unless_held(slot, entry, &link.word, Some(newest));
        assert_eq!(Layout::<Link>::version(slot.load(Relaxed)), 98);
    }

    #[test]
    fn a_wider_encoding_leaves_fewer_version_bits_and_still_wraps_exactly() {
        let top = Layout::<Link>::VERSION_MASK;
        assert_eq!(Layout::<Link>::VALUE_BITS, 2 + 16 + 1);
        assert!(top < Layout::<Conn>::VERSION_MASK);
        let link = Observable::at_version(top - 1, Link::Down);
        let mut w = core::pin::pin!(link.wait_for(|s| matches!(s, Link::Closed { .. })));
        assert!(poll(&mut w).is_pending());
        link.set(Link::Up { peer: 1 }); // top
        link.set(Link::Closed { code: 1006 }); // 0
        link.set(Link::Down); // 1
        assert_eq!(link.version(), 1);
        assert_eq!(poll(&mut w), Poll::Ready(Link::Closed { code: 1006 }));
        // An entry from before the wait, across the wrap, stays old.
        let mut next = core::pin::pin!(link.wait_for_next(|s| matches!(s, Link::Closed { .. })));
        assert!(poll(&mut next).is_pending());
        link.set(Link::Up { peer: 2 });
        assert_eq!(poll(&mut next), Poll::Pending);
    }
}
