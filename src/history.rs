//! The bounded history ring of `Observable<S, HISTORY>`: the last `HISTORY`
//! transitions, lock-free, for subscribers and exact waits on any state type.
//!
//! Slot `v % HISTORY` holds transition `v` as two words, each the packed
//! state word of one end, tagged with `v` in its version bits:
//!
//! | word   | version bits | value bits                        |
//! |--------|--------------|-----------------------------------|
//! | `to`   | `v`          | the value entered at version `v`  |
//! | `from` | `v`          | the value left at version `v`     |
//!
//! Every cell starts empty, 0: tag 0. A reader never takes it for a
//! transition: it reads tag `v` only for `v` in `(cursor, current]`, so tag
//! 0 only after the version wrapped, by when every slot has been written
//! (the ring is at most half the version space). Decoding it would be safe
//! anyway: `State::decode` takes any bits.
//!
//! A setter writes `from`, then `to`, each only if the slot does not already
//! hold a later transition (a setter delayed by `HISTORY` transitions must not
//! overwrite newer data). A reader of transition `v` loads `to`: tag `v`
//! means present (then `from` has tag `v` or later, the latter meaning
//! overwritten); a tag after `v` means overwritten (the reader lagged); an
//! older tag means the setter has not written it yet, and the reader waits
//! for its notification, it does not spin.
//!
//! All accesses are SeqCst: a reader that registers after a setter's fast
//! path skipped the notify must see that setter's slot writes (S1 and W3 in
//! `waiters.rs`).

use core::fmt;

use crate::state::State;
use crate::sync::{array_of, loom_const_fn, AtomicWord, Ordering, Word};
use crate::word::{Layout, StateWord};

/// One transition of an observable: `from → to`, the `version`-th.
///
/// ```
/// use stateword::Transition;
///
/// let t = Transition { from: false, to: true, version: 1 };
/// assert_eq!(t, Transition { from: false, to: true, version: 1 });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Transition<S> {
    /// The value before.
    pub from: S,
    /// The value after.
    pub to: S,
    /// The transition's version: the observable's `version()` right after it.
    pub version: u64,
}

/// A subscriber fell more than the history capacity behind: `missed`
/// transitions were overwritten before it read them. Reported once; the
/// subscriber then continues with the oldest transition still retained.
///
/// ```
/// let lag = stateword::Lagged { missed: 3 };
/// assert_eq!(lag.to_string(), "subscriber lagged: 3 transitions were overwritten");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Lagged {
    /// How many transitions were skipped.
    pub missed: u64,
}

impl fmt::Display for Lagged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "subscriber lagged: {} transitions were overwritten",
            self.missed
        )
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Lagged {}

/// One transition's storage; see the module docs.
#[derive(Debug)]
pub(crate) struct TransitionSlot {
    to: AtomicWord,
    from: AtomicWord,
}

/// The ring of an `Observable<S, HISTORY>`: its capacity check and its
/// construction.
pub(crate) struct Ring<S, const HISTORY: usize>(core::marker::PhantomData<S>);

impl<S: State, const HISTORY: usize> Ring<S, HISTORY> {
    /// The slot of version `v` is `v % HISTORY`; when the version wraps to 0
    /// that index must not jump, so `HISTORY` divides the version space.
    pub(crate) const OK: () = assert!(
        HISTORY == 0
            || (HISTORY.is_power_of_two()
                && (HISTORY as u64)
                    <= (1u64 << (crate::word::WORD_BITS - Layout::<S>::VALUE_BITS - 1))),
        "stateword: HISTORY must be 0 or a power of two, at most half the version space"
    );

    loom_const_fn! {
        /// A ring of empty cells (module docs).
        pub(crate) fn empty() -> [TransitionSlot; HISTORY] {
            #[allow(clippy::let_unit_value)]
            let () = Self::OK;
            array_of![
                TransitionSlot { to: AtomicWord::new(0), from: AtomicWord::new(0) };
                TransitionSlot;
                HISTORY
            ]
        }
    }
}

/// What a reader found in the slot of the transition it wants.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Read<S> {
    Present(Transition<S>),
    /// The setter has not finished writing it.
    NotYet,
    /// A later transition took the slot.
    Overwritten,
}

/// Stores `value` (a word tagged with `version`) unless `cell` already
/// holds a tag in `(version, current]`: a later transition's.
fn store_unless_later<S: State>(
    cell: &AtomicWord,
    value: Word,
    version: Word,
    word: &StateWord<S>,
) {
    let mut seen = cell.load(Ordering::SeqCst);
    loop {
        let tag = Layout::<S>::version(seen);
        let current = Layout::<S>::version(word.read_in_order());
        if tag == version
            || Layout::<S>::distance(version, tag) <= Layout::<S>::distance(version, current)
        {
            return;
        }
        match cell.compare_exchange_weak(seen, value, Ordering::SeqCst, Ordering::SeqCst) {
            Ok(_) => return,
            Err(actual) => seen = actual,
        }
    }
}

/// Records transition `version`, `from → to`, into `ring`. `word` is the
/// observable's, whose version bounds "later".
pub(crate) fn record<S: State>(
    ring: &[TransitionSlot],
    version: Word,
    from: S,
    to: S,
    word: &StateWord<S>,
) {
    let slot = &ring[version as usize % ring.len()];
    store_unless_later::<S>(&slot.from, Layout::<S>::pack(version, from), version, word);
    store_unless_later::<S>(&slot.to, Layout::<S>::pack(version, to), version, word);
}

/// Reads transition `version`, given the observable's `current` version.
pub(crate) fn read<S: State>(ring: &[TransitionSlot], version: Word, current: Word) -> Read<S> {
    let slot = &ring[version as usize % ring.len()];
    let to = slot.to.load(Ordering::SeqCst);
    let tag = Layout::<S>::version(to);
    if tag != version {
        let later = tag != version
            && Layout::<S>::distance(version, tag) <= Layout::<S>::distance(version, current);
        return if later {
            Read::Overwritten
        } else {
            Read::NotYet
        };
    }
    let from = slot.from.load(Ordering::SeqCst);
    if Layout::<S>::version(from) != version {
        // `from` is written first, so it can only be later: overwritten.
        return Read::Overwritten;
    }
    // `to` again: if it moved on meanwhile, `from` may belong to a later
    // transition.
    if slot.to.load(Ordering::SeqCst) != to {
        return Read::Overwritten;
    }
    Read::Present(Transition {
        from: Layout::<S>::value(from),
        to: Layout::<S>::value(to),
        version: Layout::<S>::version_u64(to),
    })
}

/// The oldest transition a ring of `capacity` slots still holds when the
/// observable is at version `current`.
pub(crate) fn oldest_retained<S: State>(capacity: usize, current: Word) -> Word {
    current.wrapping_sub(capacity as Word - 1) & Layout::<S>::VERSION_MASK
}
