//! The wait futures of [`Observable`], and the one wait engine behind them
//! and the blocking waits.
//!
//! A wait goes through three phases:
//!
//! 1. **First check** (level waits only): if the current value matches, done,
//!    without registering anything.
//! 2. **Registration**: evaluate the predicate on every variant (finite
//!    states) into a bit mask, count this waiter (`Registration::register`,
//!    SeqCst),
//!    then load the word (SeqCst) and remember its version `v0`. Any
//!    transition after `v0` either sees the count and records + notifies, or
//!    it was already in the word we loaded (the store-buffer argument in
//!    `Observable::transition`).
//! 3. **Re-checks**, each time the notify list wakes us. With a history ring,
//!    the transitions after `v0` are scanned in order and the first match
//!    wins. Without one (or once the ring has overwritten what we needed), a
//!    masked variant whose ledger slot lies in `(v0, current]` was entered
//!    after we registered, even if the state has moved on; for integers the
//!    current value is all there is. Before parking we always listen *first*,
//!    arm (`park::park`), and re-check *after*, so a transition between the
//!    check and the listen is never lost.
//!
//! Dropping the future in any phase unregisters (the count and the listener)
//! and never consumes a notification another waiter needs: setters notify
//! every listener, there is nothing to hand on.
//!
//! The futures are `!Unpin` on every backend: the heap-free backend keeps
//! its list node inside them (`crate::notify`). Pin them (`core::pin::pin!`)
//! to poll one by reference, as with tokio's `Notified`.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use crate::history::{self, Read};
use crate::ledger::{entered_since, Ledger};
use crate::notify::Listener;
use crate::observable::Observable;
use crate::park::{self, Registration};
use crate::state::State;
use crate::sync::{Ordering, Word};
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
    /// Not yet checked.
    Start,
    /// Registered at version `v0`, waiting for a transition into a variant in
    /// `mask`. `scanned` is the last version read from the history ring;
    /// `lagged` is set once the ring overwrote one we still needed.
    Registered {
        v0: Word,
        mask: u64,
        scanned: Word,
        lagged: bool,
    },
    /// Returned its value.
    Done,
}

/// The wait engine shared by every wait future and blocking wait: the
/// condition, and the listener pinned next to it.
pub(crate) struct Wait<'a, S: State, P, const HISTORY: usize> {
    check: Check<'a, S, P, HISTORY>,
    listener: Listener<'a>,
}

/// What a wait checks, and its registration; moves freely.
struct Check<'a, S: State, P, const HISTORY: usize> {
    observable: &'a Observable<S, HISTORY>,
    predicate: P,
    mode: Mode,
    phase: Phase,
    registration: Registration,
}

impl<'a, S: State, P: Matcher<S>, const HISTORY: usize> Wait<'a, S, P, HISTORY> {
    pub(crate) fn new(observable: &'a Observable<S, HISTORY>, predicate: P, mode: Mode) -> Self {
        Wait {
            check: Check {
                observable,
                predicate,
                mode,
                phase: Phase::Start,
                registration: Registration::new(),
            },
            listener: Listener::new(),
        }
    }

    fn project(self: Pin<&mut Self>) -> (&mut Check<'a, S, P, HISTORY>, Pin<&mut Listener<'a>>) {
        // SAFETY: `listener` is structurally pinned and `check` is not:
        // `Wait` has no `Drop` impl, is `!Unpin` through `Listener`, and never
        // moves `listener` out of a pinned `Wait`; `check` may move, since
        // nothing points into it.
        unsafe {
            let this = self.get_unchecked_mut();
            (&mut this.check, Pin::new_unchecked(&mut this.listener))
        }
    }

    /// The async driver: check, listen, re-check, park.
    pub(crate) fn poll_wait(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<S> {
        let (check, listener) = self.project();
        let observable = check.observable;
        park::poll_until(observable, listener, cx, || check.check())
    }

    /// The blocking driver: as `poll_wait`, parking the thread instead.
    /// Returns `None` if `deadline` passed first.
    #[cfg(all(feature = "std", not(loom)))]
    pub(crate) fn wait_blocking(
        self: Pin<&mut Self>,
        deadline: Option<std::time::Instant>,
    ) -> Option<S> {
        let (check, mut listener) = self.project();
        loop {
            if let Some(value) = check.check() {
                listener.stop();
                return Some(value);
            }
            if !park::park_blocking(check.observable, listener.as_mut(), deadline) {
                // Timed out; one last look for a transition that raced with
                // the deadline.
                return check.check();
            }
        }
    }
}

impl<S: State, P: Matcher<S>, const HISTORY: usize> Check<'_, S, P, HISTORY> {
    /// Checks the condition without parking, registering on the first call.
    fn check(&mut self) -> Option<S> {
        let found = match self.phase {
            Phase::Start => self.register(),
            Phase::Registered { .. } => self.recheck(),
            Phase::Done => panic!("stateword: a wait future was polled after it completed"),
        };
        if found.is_some() {
            self.registration.unregister(self.observable);
            self.phase = Phase::Done;
        }
        found
    }

    fn register(&mut self) -> Option<S> {
        let observable = self.observable;
        if self.mode == Mode::Level {
            let now = observable.get();
            if self.predicate.matches(now) {
                return Some(now);
            }
        }
        let mut mask = 0u64;
        if S::VARIANTS > 0 && self.mode != Mode::Changed {
            for index in 0..S::VARIANTS {
                if self.predicate.matches(S::from_index(index)) {
                    mask |= 1 << index;
                }
            }
        }
        // From here `Drop` unregisters, even if the predicate below panics.
        self.registration.register(observable);
        let word = observable.word.load(Ordering::SeqCst);
        let v0 = Layout::<S>::version(word);
        self.phase = Phase::Registered {
            v0,
            mask,
            scanned: v0,
            lagged: false,
        };
        let now = Layout::<S>::value(word);
        (self.mode == Mode::Level && self.predicate.matches(now)).then_some(now)
    }

    fn recheck(&mut self) -> Option<S> {
        let Phase::Registered {
            v0,
            mask,
            mut scanned,
            mut lagged,
        } = self.phase
        else {
            unreachable!()
        };
        let observable = self.observable;
        if HISTORY > 0 && !lagged && self.mode != Mode::Changed {
            // Exact and ordered: the first transition after `v0` whose new
            // value matches.
            let current = Layout::<S>::version(observable.word.load(Ordering::SeqCst));
            while scanned != current {
                let version = scanned.wrapping_add(1) & Layout::<S>::VERSION_MASK;
                match history::read::<S>(&observable.history, version, current) {
                    Read::Present(t) => {
                        scanned = version;
                        if self.predicate.matches(t.to) {
                            return Some(t.to);
                        }
                    }
                    // Its setter notifies once it has written it.
                    Read::NotYet => break,
                    Read::Overwritten => {
                        lagged = true;
                        break;
                    }
                }
            }
            self.phase = Phase::Registered {
                v0,
                mask,
                scanned,
                lagged,
            };
            if !lagged {
                return None;
            }
        }
        self.recheck_without_history(v0, mask)
    }

    /// The ledger (finite states) and the current value.
    fn recheck_without_history(&mut self, v0: Word, mask: u64) -> Option<S> {
        let observable = self.observable;
        // The earliest masked variant entered since `v0`. Each slot is loaded
        // *before* the word, so a slot written by a transition is never newer
        // than the version we compare it with. SeqCst: these loads follow the
        // arming in `park::park` (the argument at `Observable::publish`).
        let mut earliest: Option<(Word, usize)> = None;
        let mut rest = mask;
        while rest != 0 {
            let index = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            let slot = observable.ledger.slot(index).load(Ordering::SeqCst);
            let current = Layout::<S>::version(observable.word.load(Ordering::SeqCst));
            if let Some(since) = entered_since::<S>(slot, v0, current) {
                if earliest.map_or(true, |(best, _)| since < best) {
                    earliest = Some((since, index));
                }
            }
        }
        if let Some((_, index)) = earliest {
            return Some(S::from_index(index));
        }
        // The word itself: it may hold a transition whose ledger write has not
        // landed yet, and for non-finite states it is all there is.
        let word = observable.word.load(Ordering::SeqCst);
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

impl<S: State, P, const HISTORY: usize> Drop for Check<'_, S, P, HISTORY> {
    fn drop(&mut self) {
        self.registration.unregister(self.observable);
    }
}

impl<S: State, P, const HISTORY: usize> fmt::Debug for Wait<'_, S, P, HISTORY> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait")
            .field("mode", &self.check.mode)
            .field("phase", &self.check.phase)
            .field("registered", &self.check.registration.is_registered())
            .field("listener", &self.listener)
            .finish()
    }
}

macro_rules! wait_future {
    ($(#[$doc:meta])* $name:ident<$($p:ident)?> = $matcher:ty $(where $bound:ty: $trait:path)?) => {
        $(#[$doc])*
        #[must_use = "futures do nothing unless you `.await` or poll them"]
        pub struct $name<'a, S: State $(, $p)?, const HISTORY: usize = 0>(
            pub(crate) Wait<'a, S, $matcher, HISTORY>,
        );

        impl<S: State $(, $p)?, const HISTORY: usize> Future for $name<'_, S $(, $p)?, HISTORY>
        $(where $bound: $trait)?
        {
            type Output = S;

            fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<S> {
                // SAFETY: structural pinning of the only field: the future
                // has no `Drop` impl and never moves its engine.
                unsafe { self.map_unchecked_mut(|future| &mut future.0) }.poll_wait(cx)
            }
        }

        impl<S: State $(, $p)?, const HISTORY: usize> fmt::Debug for $name<'_, S $(, $p)?, HISTORY> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.0).finish()
            }
        }
    };
}

wait_future! {
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
    WaitFor<P> = P where P: FnMut(S) -> bool
}

wait_future! {
    /// Future of [`Observable::wait_until`]: resolves to the target value.
    ///
    /// ```
    /// use stateword::{Observable, WaitUntil};
    ///
    /// let ready = Observable::new(true);
    /// let wait: WaitUntil<'_, bool> = ready.wait_until(true);
    /// assert!(futures_lite::future::block_on(wait));
    /// ```
    WaitUntil<> = Equals<S>
}

wait_future! {
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
    Changed<> = AnyValue
}
