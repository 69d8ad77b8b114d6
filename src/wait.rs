//! The observable's waits: [`StateCheck`], what `wait_for`, `wait_until`,
//! `wait_for_next`, `changed` and the blocking waits look for, and their
//! futures. They run on the one engine (`engine.rs`).
//!
//! A wait looks in three ways:
//!
//! 1. **First look**: remember the version `v0`, where the wait begins; for
//!    level waits, if the current value matches, done, without registering
//!    anything.
//! 2. **After listening and registering** (W3 in `waiters.rs`): evaluate
//!    the predicate on the one value of every ledger variant that has one
//!    into a bit mask (variants that carry data are always in it), then
//!    look as in 3. A setter that saw the registration records its entry
//!    (or finds an earlier entry of that value inside the window already)
//!    and notifies; one whose transition raced the first poll and saw none
//!    left it in the word (the argument in `waiters.rs`). So a setter that
//!    waits for `waiter_count() > 0` and then sets is always seen.
//! 3. **Each look after that** (W3 again): with a history ring, the
//!    transitions after `v0` are scanned in order and the first match wins.
//!    Without one (or once the ring has overwritten what we needed), a
//!    masked variant whose ledger slot lies in `(v0, current]` was entered
//!    after we began, even if the state has moved on, and the slot holds the value
//!    entered (for a variant with data, the latest entry, which must match
//!    too); for integers the current value is all there is. A wait on a
//!    finite state whose predicate matches a single value loads no slot
//!    once the word holds that value after `v0`: the ledger would answer
//!    the same.
//!
//! The futures are `!Unpin`: the notify list links the node inside them
//! (`crate::notify`). Pin them (`core::pin::pin!`)
//! to poll one by reference, as with tokio's `Notified`.

use crate::engine::{engine_newtype, Check, Engine, OnObservable};
use crate::history::{self, Read};
use crate::ledger::{self, entered_since, Ledger};
use crate::observable::Observable;
use crate::state::State;
use crate::sync::{Ordering, Word};
use crate::waiters::Waiters;
use crate::word::Layout;

/// What a wait is waiting for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// The current value matches, or a matching value was entered since.
    Level,
    /// A matching value was entered after registration.
    Next,
    /// Any transition after registration.
    Changed,
}

/// A predicate on states: closures, and the two the crate builds itself.
pub(crate) trait Matcher<S> {
    fn matches(&mut self, value: S) -> bool;
}

impl<S, F: FnMut(S) -> bool> Matcher<S> for F {
    #[inline]
    fn matches(&mut self, value: S) -> bool {
        self(value)
    }
}

/// Matches one value (`wait_until`).
#[derive(Debug)]
pub(crate) struct Equals<S>(pub(crate) S);

impl<S: PartialEq> Matcher<S> for Equals<S> {
    #[inline]
    fn matches(&mut self, value: S) -> bool {
        value == self.0
    }
}

/// Matches `Some` of a value that satisfies the predicate
/// (`wait_for_some`).
#[derive(Debug)]
pub(crate) struct SomeMatching<P>(pub(crate) P);

impl<S, P: FnMut(S) -> bool> Matcher<Option<S>> for SomeMatching<P> {
    #[inline]
    fn matches(&mut self, value: Option<S>) -> bool {
        value.is_some_and(&mut self.0)
    }
}

/// Matches every value (`changed`).
#[derive(Debug)]
pub(crate) struct AnyValue;

impl<S> Matcher<S> for AnyValue {
    #[inline]
    fn matches(&mut self, _: S) -> bool {
        true
    }
}

#[derive(Clone, Copy, Debug)]
enum Phase {
    /// Not yet looked.
    Start,
    /// Looked once, unregistered.
    Looked,
    /// Registered: `mask` is set.
    Registered,
    /// Returned its value.
    Done,
}

/// What an observable's wait looks for; see the module docs.
pub(crate) struct StateCheck<'a, S: State, P, const HISTORY: usize> {
    observable: &'a Observable<S, HISTORY>,
    predicate: P,
    mode: Mode,
    phase: Phase,
    /// Where the wait's window begins (`v0` in the docs): the version of
    /// the first look, moved on by a history ring scan to the last
    /// transition it read. One field for both: the predicate was tried on
    /// every transition up to the scanned one and matched none, so a
    /// window that starts there reports what one from `v0` would (a wait
    /// future a word smaller).
    since: Word,
    /// The ledger variants that may match: see `register`.
    mask: u64,
    /// The ring overwrote a transition this wait still needed.
    lagged: bool,
}

impl<'a, S: State, P, const HISTORY: usize> StateCheck<'a, S, P, HISTORY> {
    pub(crate) fn engine(
        observable: &'a Observable<S, HISTORY>,
        predicate: P,
        mode: Mode,
    ) -> Engine<'a, Self> {
        Engine::new(StateCheck {
            observable,
            predicate,
            mode,
            phase: Phase::Start,
            since: 0,
            mask: 0,
            lagged: false,
        })
    }
}

impl<'a, S: State, P, const HISTORY: usize> OnObservable<'a> for StateCheck<'a, S, P, HISTORY> {
    fn waiters(&self) -> &'a Waiters {
        &self.observable.waiters
    }
}

impl<'a, S: State, P: Matcher<S>, const HISTORY: usize> Check<'a>
    for StateCheck<'a, S, P, HISTORY>
{
    type Output = S;

    #[inline]
    fn check(&mut self) -> Option<S> {
        let found = match self.phase {
            Phase::Start => self.first_look(),
            Phase::Looked => self.register(),
            Phase::Registered => self.recheck(),
            Phase::Done => panic!("stateword: a wait future was polled after it completed"),
        };
        if found.is_some() {
            self.phase = Phase::Done;
        }
        found
    }

    /// Setters leave an entry of a one-value variant out of its slot while
    /// the slot holds an earlier one inside every registered window
    /// (`ledger::record_entry_unless_held`), so a wait that looks in the
    /// ledger publishes where its window starts. With a history ring every
    /// entry is recorded (a window moves on with its ring scan); a wait for
    /// any transition (`changed`) looks in no slot.
    fn publish_window(&self) {
        if S::VARIANTS > 0 && HISTORY == 0 && self.mode != Mode::Changed {
            let observable = self.observable;
            ledger::publish_window(observable.ledger.newest_window(), &observable.word);
        }
    }
}

impl<S: State, P: Matcher<S>, const HISTORY: usize> StateCheck<'_, S, P, HISTORY> {
    /// The first look fixes `v0`, where the wait begins: every entry after
    /// it that the ledger or the ring holds is the wait's to report. An
    /// Acquire read is enough: a stale `v0` only widens the window to
    /// entries that were made after it, which are the wait's to report.
    fn first_look(&mut self) -> Option<S> {
        self.phase = Phase::Looked;
        let word = self.observable.word.read();
        self.since = Layout::<S>::version(word);
        let now = Layout::<S>::value(word);
        (self.mode == Mode::Level && self.predicate.matches(now)).then_some(now)
    }

    /// W3: the first look after registering, with the ledger variants that
    /// may match: those whose one value matches, and every variant that
    /// carries data (its entries are matched when found).
    fn register(&mut self) -> Option<S> {
        if S::VARIANTS > 0 && self.mode != Mode::Changed {
            for index in 0..S::VARIANTS {
                if S::from_index(index).map_or(true, |only| self.predicate.matches(only)) {
                    self.mask |= 1 << index;
                }
            }
        }
        self.phase = Phase::Registered;
        self.recheck()
    }

    fn recheck(&mut self) -> Option<S> {
        let observable = self.observable;
        if HISTORY > 0 && !self.lagged && self.mode != Mode::Changed {
            // Exact and ordered: the first transition after `v0` whose new
            // value matches.
            let current = Layout::<S>::version(observable.word.read_in_order());
            while self.since != current {
                let version = self.since.wrapping_add(1) & Layout::<S>::VERSION_MASK;
                match history::read::<S>(&observable.history, version, current) {
                    Read::Present(t) => {
                        self.since = version;
                        if self.predicate.matches(t.to) {
                            return Some(t.to);
                        }
                    }
                    // Its setter notifies once it has written it.
                    Read::NotYet => break,
                    Read::Overwritten => {
                        self.lagged = true;
                        break;
                    }
                }
            }
            if !self.lagged {
                return None;
            }
        }
        self.recheck_without_history()
    }

    /// The ledger (states with ledger variants) and the current value.
    fn recheck_without_history(&mut self) -> Option<S> {
        // `v0`, or the last transition the ring scan read: the ones up to
        // it did not match (the scan returns at the first that does), so
        // what follows answers the same from either (`since`).
        let (observable, v0) = (self.observable, self.since);
        // Still at `v0`: nothing was entered since the first look, which saw
        // this very value (one version, one value) and did not match it. A
        // transition after this SeqCst load comes after it in the total
        // order, so its setter sees our registration and `PENDING` (S2 after
        // W2, S4 after W1): it records its entry (or finds one of that value
        // in our window), and its notify, or one alongside it that cleared
        // `PENDING`, wakes us. So the
        // ledger has nothing to find, and the predicate nothing new to say.
        let word = observable.word.read_in_order();
        if Layout::<S>::version(word) == v0 {
            return None;
        }
        // Moved on since `v0`, onto the one value this wait can return: the
        // state is finite (every variant one value) and its mask one
        // variant, so the ledger's earliest entry would be that value too
        // (`wait_until` woken by its own transition: no slot to load). With
        // two or more variants to find, the earliest may be another: the
        // ledger answers. (A state that is not finite has data variants,
        // which are in every mask: one bit alone is then a data variant,
        // whose entry the predicate must still judge.)
        let mask = self.mask;
        if S::FINITE && mask != 0 && mask & (mask - 1) == 0 {
            let value = Layout::<S>::value(word);
            if mask >> value.index() & 1 != 0 {
                return Some(value);
            }
        }
        // The earliest masked variant entered since `v0`. Each slot is loaded
        // *before* the word, so a slot written by a transition is never newer
        // than the version we compare it with. SeqCst: W3 in `waiters.rs`.
        let mut earliest: Option<(Word, S)> = None;
        let mut rest = self.mask;
        while rest != 0 {
            let index = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            let slot = observable.ledger.slot(index).load(Ordering::SeqCst);
            let current = Layout::<S>::version(observable.word.read_in_order());
            if let Some(since) = entered_since::<S>(slot, v0, current) {
                if earliest.map_or(true, |(best, _)| since < best) {
                    let entry = Layout::<S>::value(slot);
                    // A variant with one value matched at registration;
                    // one that carries data is matched on its entry.
                    if ledger::has_one_value::<S>(index) || self.predicate.matches(entry) {
                        earliest = Some((since, entry));
                    }
                }
            }
        }
        if let Some((_, entry)) = earliest {
            return Some(entry);
        }
        // The word itself: it may hold a transition whose ledger write has not
        // landed yet, and for non-finite states it is all there is.
        let word = observable.word.read_in_order();
        let value = Layout::<S>::value(word);
        let moved = Layout::<S>::version(word) != v0;
        let found = match self.mode {
            Mode::Level => self.predicate.matches(value),
            Mode::Next => moved && self.predicate.matches(value),
            Mode::Changed => moved,
        };
        found.then_some(value)
    }
}

engine_newtype! {
    /// Future of [`Observable::wait_for`] and [`Observable::wait_for_next`]:
    /// resolves to the matched value.
    ///
    /// ```
    /// use stateword::{Observable, WaitFor};
    ///
    /// let n = Observable::new(1u8);
    /// let wait: WaitFor<'_, u8, _> = n.wait_for(|n| n == 1);
    /// assert_eq!(futures_lite::future::block_on(wait), 1);
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct WaitFor<'a, S, P, HISTORY>(Engine<'a, StateCheck<'a, S, P, HISTORY>>)
    where ['a, S: State, P: FnMut(S) -> bool, const HISTORY: usize] ['a, S: State, P, const HISTORY: usize = 0];
    impl Future -> S;
}

engine_newtype! {
    /// Future of [`Observable::wait_until`]: resolves to the target value.
    ///
    /// ```
    /// use stateword::{Observable, WaitUntil};
    ///
    /// let ready = Observable::new(true);
    /// let wait: WaitUntil<'_, bool> = ready.wait_until(true);
    /// assert!(futures_lite::future::block_on(wait));
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct WaitUntil<'a, S, HISTORY>(Engine<'a, StateCheck<'a, S, Equals<S>, HISTORY>>)
    where ['a, S: State, const HISTORY: usize] ['a, S: State, const HISTORY: usize = 0];
    impl Future -> S;
}

engine_newtype! {
    /// Future of [`Observable::changed`]: resolves to the value after at
    /// least one transition.
    ///
    /// ```
    /// use stateword::{Changed, Observable};
    /// use futures_lite::future::{block_on, poll_once};
    ///
    /// let n = Observable::new(0u32);
    /// let changed: Changed<'_, u32> = n.changed();
    /// let mut changed = core::pin::pin!(changed);
    /// assert!(block_on(poll_once(changed.as_mut())).is_none());
    /// n.set(9);
    /// assert_eq!(block_on(changed), 9);
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Changed<'a, S, HISTORY>(Engine<'a, StateCheck<'a, S, AnyValue, HISTORY>>)
    where ['a, S: State, const HISTORY: usize] ['a, S: State, const HISTORY: usize = 0];
    impl Future -> S;
}

engine_newtype! {
    /// Future of [`Observable::wait_for_some`]: resolves to the `S` inside
    /// the matched `Some`.
    ///
    /// ```
    /// use stateword::{Observable, WaitForSome};
    ///
    /// let port = Observable::new(Some('x'));
    /// let wait: WaitForSome<'_, char, _> = port.wait_for_some(|c| c == 'x');
    /// assert_eq!(futures_lite::future::block_on(wait), 'x');
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct WaitForSome<'a, S, P, HISTORY>(
        Engine<'a, StateCheck<'a, Option<S>, SomeMatching<P>, HISTORY>>
    )
    where ['a, S: State, P: FnMut(S) -> bool, const HISTORY: usize]
        ['a, S: State, P, const HISTORY: usize = 0];
    impl Future -> S, map |found: Option<S>| {
        found.expect("stateword: wait_for_some matched only `Some`")
    };
}
