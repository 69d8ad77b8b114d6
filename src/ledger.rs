//! The per-variant entry ledger of states with ledger variants.
//!
//! Slot `i` holds the whole state word (value and version) of the last entry
//! into ledger variant `i` (or an older entry: setters skip the write when no
//! waiter is registered, see `waiters.rs`, or when the slot holds an entry
//! of the same one-value variant inside every registered window,
//! `record_entry_unless_held`; and a setter whose swap displaced a later
//! entry holds its own there until it has put that one back, before it
//! notifies: `record_entry`). Beside the slots, the latest window start a
//! registered wait published (`publish_window`). A waiter that began (its first
//! look) at version `v0` asks each slot of a variant it wants: "was this
//! written by a transition after `v0` that has already happened?" —
//! `v0 < version <= current version`, in serial-number order — and, for a
//! variant that carries data, whether the entry's value matches. That answers
//! "did the state ever become what you want since you started waiting?"
//! exactly for every variant, and for the data of the latest entry of each,
//! without a lock, with one word per variant.
//!
//! | slot word | meaning |
//! |---|---|
//! | 0 (never written) | no entry: version 0 is where every wait's window starts, never inside it until the version wraps |
//! | `pack(v, value)` | `value`, of this variant, was entered by transition `v` |
//!
//! The ledger type is chosen by each `State` impl as an associated type, so
//! its size is fixed at compile time without generic const expressions.

use crate::state::State;
use crate::sync::{array_of, loom_const, AtomicWord, Ordering, Word};
use crate::word::{Layout, StateWord};

/// Storage for a state's entry ledger: one atomic word per ledger variant.
///
/// Chosen by [`State::Ledger`](crate::State::Ledger):
/// [`NoLedger`] for level-triggered states, [`VariantLedger<N>`] for `N`
/// ledger variants; `Option<S>` adds a slot in front of `S`'s. Sealed: the
/// crate implements it for these types only.
///
/// ```
/// use stateword::{Ledger, State};
///
/// assert_eq!(<bool as State>::Ledger::SLOTS, 2);
/// assert_eq!(<Option<u16> as State>::Ledger::SLOTS, 2);
/// ```
pub trait Ledger: Send + Sync + 'static + sealed::Sealed {
    /// How many slots: the state's `VARIANTS`.
    const SLOTS: usize;

    /// The ledger of `Option<S>` when this is `S`'s: a slot for `None` in
    /// front, and one for `Some` if this ledger has none.
    #[doc(hidden)]
    type WithNone: Ledger;

    loom_const! {
        /// A ledger whose every slot is empty.
        #[doc(hidden)]
        const EMPTY: Self;
    }

    /// The slot of variant `index`.
    #[doc(hidden)]
    fn slot(&self, index: usize) -> &AtomicWord;

    /// The latest window start a registered wait published
    /// ([`publish_window`]), beside the slots.
    #[doc(hidden)]
    fn newest_window(&self) -> &AtomicWord;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::NoLedger {}
    impl<const N: usize> Sealed for super::VariantLedger<N> {}
    impl<L> Sealed for super::OptionLedger<L> {}
}

/// The ledger of a level-triggered state: no slots.
///
/// ```
/// use stateword::{Ledger, NoLedger};
/// assert_eq!(NoLedger::SLOTS, 0);
/// ```
#[derive(Debug)]
pub struct NoLedger;

impl Ledger for NoLedger {
    const SLOTS: usize = 0;
    type WithNone = VariantLedger<2>;
    loom_const! {
        const EMPTY: Self = NoLedger;
    }
    fn slot(&self, _: usize) -> &AtomicWord {
        unreachable!("stateword: a level-triggered state has no ledger slots")
    }
    fn newest_window(&self) -> &AtomicWord {
        unreachable!("stateword: a level-triggered state has no ledger")
    }
}

/// The ledger of `N` ledger variants: one atomic word each, and one for
/// the latest window start of a registered wait.
///
/// ```
/// use stateword::{Ledger, VariantLedger};
/// assert_eq!(VariantLedger::<5>::SLOTS, 5);
/// ```
#[derive(Debug)]
pub struct VariantLedger<const N: usize> {
    slots: [AtomicWord; N],
    newest: AtomicWord,
}

impl<const N: usize> Ledger for VariantLedger<N> {
    const SLOTS: usize = N;
    type WithNone = OptionLedger<Self>;
    loom_const! {
        const EMPTY: Self = VariantLedger {
            slots: array_of![AtomicWord::new(0); AtomicWord; N],
            newest: AtomicWord::new(0),
        };
    }
    #[inline]
    fn slot(&self, index: usize) -> &AtomicWord {
        &self.slots[index]
    }
    #[inline]
    fn newest_window(&self) -> &AtomicWord {
        &self.newest
    }
}

/// The ledger of `Option<S>` for an `S` with ledger variants: a slot for
/// `None`, then `S`'s ledger.
#[doc(hidden)]
#[derive(Debug)]
pub struct OptionLedger<L> {
    none: AtomicWord,
    some: L,
}

impl<L: Ledger> Ledger for OptionLedger<L> {
    const SLOTS: usize = 1 + L::SLOTS;
    type WithNone = OptionLedger<Self>;
    loom_const! {
        const EMPTY: Self = OptionLedger {
            none: AtomicWord::new(0),
            some: loom_const!(read L::EMPTY),
        };
    }
    #[inline]
    fn slot(&self, index: usize) -> &AtomicWord {
        match index {
            0 => &self.none,
            i => self.some.slot(i - 1),
        }
    }
    #[inline]
    fn newest_window(&self) -> &AtomicWord {
        self.some.newest_window()
    }
}

/// A struct's ledger, picked at compile time: [`VariantLedger<N>`] if it is
/// finite, else [`NoLedger`]. For `#[derive(State)]`.
#[doc(hidden)]
#[derive(Debug)]
pub struct Finite<const YES: bool>;

/// See [`Finite`].
#[doc(hidden)]
pub trait LedgerOf<const N: usize> {
    type Ledger: Ledger;
}

impl<const N: usize> LedgerOf<N> for Finite<true> {
    type Ledger = VariantLedger<N>;
}

impl<const N: usize> LedgerOf<N> for Finite<false> {
    type Ledger = NoLedger;
}

/// The number of values of a struct whose fields have `(VARIANTS, FINITE)`
/// as given: their product if every field is finite and it is at most 64,
/// else 0 (the struct is level-triggered). For `#[derive(State)]`.
#[doc(hidden)]
pub const fn finite_product(fields: &[(usize, bool)]) -> usize {
    let mut product: usize = 1;
    let mut i = 0;
    while i < fields.len() {
        let (variants, finite) = fields[i];
        if !finite || variants == 0 || variants > 64 {
            return 0;
        }
        product *= variants;
        if product > 64 {
            return 0;
        }
        i += 1;
    }
    product
}

/// Records that `entry` (the state word a transition just committed) is the
/// last entry into the variant of `slot`, unless a later entry is already
/// recorded there.
///
/// One swap, which needs no load of the slot first (that load, a shared
/// copy of the line the swap then has to own, cost contended setters a
/// second trip of the line): what it displaced is almost always older. If
/// it was a concurrent, later entry of the same variant, it goes back in,
/// and so on until what comes out is not later than what went in. The slot
/// holds the older entry in between, but only before this setter's S4. A
/// waiter whose look falls in between and finds nothing does not park on
/// it: it parks only after a look that follows its listen (W1, then W3),
/// so that W1 came before the swap back and S4, and S4 wakes it
/// (`waiters.rs`, "Arming") to look again, at the later entry. A look that
/// finds the older entry inside its window reports a real entry.
///
/// "Later" means inside the window `(version, current version]` of `word`:
/// plain serial-number order would call an entry more than half the version
/// space old "later" and put it back forever, so a stale slot is
/// overwritten. The bound is a `StateWord::guess`: coherence alone makes it
/// at least our own CAS.
///
/// SeqCst: S3 in `waiters.rs`, so a waiter that listens (W1) after this
/// setter's S4 sees it in its look (W3). It is also a release: a waiter
/// that sees this entry then loads the word and gets a version at least
/// the entry's (the setter's CAS on the word comes first), so the entry falls
/// inside its window at once.
#[inline]
pub(crate) fn record_entry<S: State>(slot: &AtomicWord, entry: Word, word: &StateWord<S>) {
    let mut put = entry;
    loop {
        let displaced = slot.swap(put, Ordering::SeqCst);
        let current = Layout::<S>::version(word.guess());
        if entered_since::<S>(displaced, Layout::<S>::version(put), current).is_none() {
            return; // not later than what went in
        }
        put = displaced; // a concurrent, later entry of the same variant
    }
}

/// Whether ledger variant `index` has one value, so that any of its
/// entries says all a wait needs: every variant of a finite state (one per
/// value), and a fieldless variant of any other.
#[inline]
pub(crate) fn has_one_value<S: State>(index: usize) -> bool {
    S::FINITE || S::from_index(index).is_some()
}

/// Records `entry` as [`record_entry`] does, unless every registered wait
/// already has an entry of its variant to find: the variant has one value,
/// and `slot` holds an entry made after the start `newest` holds and not
/// after `entry`. `newest` holds the latest window start a wait published
/// as it registered ([`publish_window`]), so every registered window
/// begins at or before it and holds that entry, whose value is `entry`'s:
/// recording `entry` would tell no registered wait anything new. It would
/// cost a second locked instruction on a line that racing setters take
/// from each other (`contended`, BENCHMARKS.md).
///
/// `newest` may be ahead of `entry`: a wait registered after this setter's
/// CAS, and the state moved on meanwhile. Measured from such a `newest`,
/// serial order would put every older slot, even an empty one, in
/// `(newest, entry]`, so the setter records whenever `newest` is not at or
/// before `entry` (the loom model
/// `a_setter_delayed_past_a_new_registration_still_records`).
///
/// `newest` is `None` where every entry is recorded: a variant that carries
/// data (a wait matches the latest entry's data), and an observable with a
/// history ring (a wait's window start moves on with its ring scan, past
/// what it published).
///
/// The slot's load is Relaxed. An older value of it, if it lies in the
/// window, is an entry a setter recorded, and the slot holds it or a later
/// entry of the variant again before that setter's S4 (`record_entry`), so
/// a wait finds one at a look after its listen. `newest`'s load:
/// [`newest_window_start`].
#[inline]
pub(crate) fn record_entry_unless_held<S: State>(
    slot: &AtomicWord,
    entry: Word,
    word: &StateWord<S>,
    newest: Option<&AtomicWord>,
) {
    if let Some(newest) = newest {
        let start = newest_window_start::<S>(newest);
        let held = slot.load(Ordering::Relaxed);
        let version = Layout::<S>::version(entry);
        if start_at_or_before(start, version, word)
            && entered_since::<S>(held, start, version).is_some()
        {
            return;
        }
    }
    record_entry(slot, entry, word);
}

/// Whether `start`, the window start read from `newest`, is at or before
/// `version`, this setter's entry. The setter may have stalled since its
/// CAS while the state moved on and waits registered.
///
/// Where half a cycle is in reach ([`Layout::HALF_CYCLE_OUT_OF_REACH`] is
/// false: every state on 32-bit targets, and states of more than 8 value
/// bits on 64-bit ones), both are counted back from the word's current
/// version: exact while both lie within a full cycle of it, the limit
/// every ledger comparison has. That needs the word at or after both. It
/// is at or after this setter's own CAS (coherence), and at or after
/// `start`, which [`newest_window_start`] read with Acquire.
///
/// Elsewhere the two are compared in serial order alone (RFC 1982), which
/// is exact within half a cycle: a setter would have to stall here for
/// 2^55 transitions or more to misjudge. That saves the load of the word
/// and the arithmetic on the path of every `set` while a wait is parked
/// (`set-parked`, BENCHMARKS.md).
#[inline]
fn start_at_or_before<S: State>(start: Word, version: Word, word: &StateWord<S>) -> bool {
    if Layout::<S>::HALF_CYCLE_OUT_OF_REACH {
        Layout::<S>::distance(start, version) <= Layout::<S>::VERSION_MASK / 2
    } else {
        let now = Layout::<S>::version(word.guess());
        Layout::<S>::distance(start, now) >= Layout::<S>::distance(version, now)
    }
}

/// The newest window start a wait published, for a setter after its S2
/// ([`record_entry_unless_held`]).
///
/// Where the setter compares it with its entry in serial order
/// ([`start_at_or_before`]), Relaxed: a later start than the one it must
/// see (the last published before a registration its S2 saw counted) only
/// narrows the window, and S2 makes that one visible ([`publish_window`]).
///
/// Where it counts the start back from the word instead, Acquire: the
/// start is a version the publishing wait read from the word before its
/// Release store, so that read happens before the setter's next load of
/// the word, which then returns that version or a later one (coherence).
/// Without it, a start published by a wait the setter's S2 did not see
/// counted could be ahead of the word the setter loads, and look a cycle
/// old (the loom mutation `start-relaxed`).
#[inline]
fn newest_window_start<S: State>(newest: &AtomicWord) -> Word {
    if Layout::<S>::HALF_CYCLE_OUT_OF_REACH {
        newest.load(Ordering::Relaxed)
    } else {
        newest.load(Ordering::Acquire)
    }
}

/// Publishes where a registering wait's window starts, or a later
/// version: the word's version now, which is at or after the wait's first
/// look (coherence: the same thread read `v0` from the word before).
///
/// Called under the notify list's lock, in W1 of the wait's first listen
/// (`waiters.rs`). Each holder of the lock loads the word after the
/// previous holder released it, so it reads that holder's version or a
/// later one (read-read coherence along the lock's release and acquire),
/// and the stores to `newest`, made by holders only, never move it back:
/// it is at or after the window start of every wait that published.
///
/// A setter that sees the wait counted sees this store, or a later one:
/// the store comes before the wait's W2, a SeqCst RMW of the count, and
/// S2's SeqCst load reads W2 or a later RMW of the count. Release where a
/// setter counts the start back from the word's current version, Relaxed
/// where it compares in serial order ([`newest_window_start`]).
#[inline]
pub(crate) fn publish_window<S: State>(newest: &AtomicWord, word: &StateWord<S>) {
    let order = if Layout::<S>::HALF_CYCLE_OUT_OF_REACH {
        Ordering::Relaxed
    } else {
        Ordering::Release
    };
    newest.store(Layout::<S>::version(word.guess()), order);
}

/// Whether `slot` records an entry after `v0` that is already visible in the
/// word, at version `current`: `v0 < version <= current` in serial order.
/// Returns how many transitions after `v0` it happened.
#[inline]
pub(crate) fn entered_since<S: State>(slot: Word, v0: Word, current: Word) -> Option<Word> {
    let since = Layout::<S>::distance(v0, Layout::<S>::version(slot));
    (since != 0 && since <= Layout::<S>::distance(v0, current)).then_some(since)
}
