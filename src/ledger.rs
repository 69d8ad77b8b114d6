//! The per-variant entry ledger of finite states.
//!
//! Slot `i` holds the version at which variant `i` was last entered (or an
//! older entry: setters skip the write when no waiter is registered, see
//! `Observable::publish`). A waiter that registered at version `v0` asks each
//! slot of a variant it wants: "was this written by a transition after `v0`
//! that has already happened?" — `v0 < slot <= current version`, in
//! serial-number order. That answers "did the state ever become what you want
//! since you started waiting?" exactly, without a lock, with one word per
//! variant.
//!
//! The ledger type is chosen by each `State` impl as an associated type, so
//! its size is fixed at compile time without generic const expressions.

use crate::state::State;
use crate::sync::{AtomicWord, Ordering, Word};
use crate::word::Layout;

/// Storage of one slot per variant.
#[doc(hidden)]
pub trait Ledger: Send + Sync + 'static {
    /// A ledger whose every slot holds version 0.
    #[cfg(not(loom))]
    const EMPTY: Self;

    /// A ledger whose every slot holds version 0.
    #[cfg(loom)]
    fn empty() -> Self;

    /// The slot of variant `index`.
    fn slot(&self, index: usize) -> &AtomicWord;
}

/// A ledger for states that are not finite: no slots.
#[doc(hidden)]
#[derive(Debug)]
pub struct NoLedger;

impl Ledger for NoLedger {
    #[cfg(not(loom))]
    const EMPTY: Self = NoLedger;
    #[cfg(loom)]
    fn empty() -> Self {
        NoLedger
    }
    fn slot(&self, _: usize) -> &AtomicWord {
        unreachable!("stateword: a non-finite state has no ledger slots")
    }
}

/// A ledger of `N` slots (derived enums, `bool`).
#[doc(hidden)]
#[derive(Debug)]
pub struct Slots<const N: usize>([AtomicWord; N]);

#[cfg(not(loom))]
#[allow(clippy::declare_interior_mutable_const)] // a template copied into each ledger
const ZERO: AtomicWord = AtomicWord::new(0);

impl<const N: usize> Ledger for Slots<N> {
    #[cfg(not(loom))]
    const EMPTY: Self = Slots([ZERO; N]);
    #[cfg(loom)]
    fn empty() -> Self {
        Slots(core::array::from_fn(|_| AtomicWord::new(0)))
    }
    #[inline]
    fn slot(&self, index: usize) -> &AtomicWord {
        &self.0[index]
    }
}

/// The ledger of `Option<S>`: a slot for `None`, then `S`'s ledger.
#[doc(hidden)]
#[derive(Debug)]
pub struct OptionLedger<L> {
    none: AtomicWord,
    some: L,
}

impl<L: Ledger> Ledger for OptionLedger<L> {
    #[cfg(not(loom))]
    const EMPTY: Self = OptionLedger {
        none: ZERO,
        some: L::EMPTY,
    };
    #[cfg(loom)]
    fn empty() -> Self {
        OptionLedger {
            none: AtomicWord::new(0),
            some: L::empty(),
        }
    }
    #[inline]
    fn slot(&self, index: usize) -> &AtomicWord {
        match index {
            0 => &self.none,
            i => self.some.slot(i - 1),
        }
    }
}

/// Records that the variant of `slot` was entered at `version`, unless a
/// later entry is already recorded there.
///
/// "Later" means inside the window `(version, current version]` of `word`:
/// plain serial-number order would call an entry more than half the version
/// space old "later" and leave it forever, so a stale slot is overwritten.
///
/// SeqCst on success: the write must precede the setter's SeqCst check of
/// `ARMED` in the single total order (`Observable::publish`), so a waiter that
/// arms later sees it in its SeqCst re-check. It is also a release: a waiter
/// that sees this entry then loads the word and gets a version at least
/// `version` (the setter's CAS on the word comes first), so the entry falls
/// inside its window at once. The word load here is Relaxed: coherence alone
/// makes it return at least our own CAS.
#[inline]
pub(crate) fn record_entry<S: State>(slot: &AtomicWord, version: Word, word: &AtomicWord) {
    let mut seen = slot.load(Ordering::Relaxed);
    loop {
        if seen == version {
            return;
        }
        let current = Layout::<S>::version(word.load(Ordering::Relaxed));
        if Layout::<S>::distance(version, seen) <= Layout::<S>::distance(version, current) {
            return; // a concurrent, later entry of the same variant won
        }
        match slot.compare_exchange_weak(seen, version, Ordering::SeqCst, Ordering::Relaxed) {
            Ok(_) => return,
            Err(actual) => seen = actual,
        }
    }
}

/// Whether `slot` records an entry after `v0` that is already visible in the
/// word, at version `current`: `v0 < slot <= current` in serial order. Returns
/// how many transitions after `v0` it happened.
#[inline]
pub(crate) fn entered_since<S: State>(slot: Word, v0: Word, current: Word) -> Option<Word> {
    let since = Layout::<S>::distance(v0, slot);
    (since != 0 && since <= Layout::<S>::distance(v0, current)).then_some(since)
}
