//! The packed state word: a state's bytes and its version in one atomic.
//!
//! ```text
//!  bit  WORD_BITS-1 ............. VALUE_BITS   VALUE_BITS-1 ........ 0
//!      +----------------------------------------+----------------------+
//!      | version: transitions so far (wraps)    | value: the state's    |
//!      |                                        | bytes, little-endian  |
//!      +----------------------------------------+----------------------+
//! ```
//!
//! | state size | word 64 bits (x86_64, aarch64, ...) | word 32 bits (thumbv7, riscv32) |
//! |-----------:|-------------------------------------|---------------------------------|
//! | 1 byte     | 8 value bits, 56 version bits       | 8 value bits, 24 version bits   |
//! | 2 bytes    | 16 value bits, 48 version bits      | 16 value bits, 16 version bits  |
//! | 4 bytes    | 32 value bits, 32 version bits      | compile error: no room          |
//!
//! Every encoding is reachable: the value bits are those of a real `S`
//! (written only by [`encode`]) and the version is any count. A word with
//! version 0 holds the initial value. Versions wrap, so they are compared with
//! serial-number arithmetic ([`Layout::distance`], and windows bounded by
//! the current version in `ledger.rs`), never with `>`.
//!
//! Every such word the crate stores is built by [`Layout::pack`] or
//! [`Layout::next`] from a real `S` (the [`StateWord`], and the ring's cells,
//! seeded with the initial value): that makes the safe [`Layout::value`]
//! sound. Ledger slots hold bare versions. [`StateWord`]'s few operations are
//! the only accesses to the observable's word; each says why its ordering is
//! right.

use core::marker::PhantomData;
use core::mem::size_of;

use crate::state::State;
use crate::sync::{loom_const_fn, AtomicWord, Ordering, Word};

/// Bits in the state word.
pub(crate) const WORD_BITS: u32 = Word::BITS;
/// The fewest version bits we accept: below this the version would wrap
/// within a few milliseconds of busy setting.
const MIN_VERSION_BITS: u32 = 16;

/// Compile-time facts about how `S` sits in the word.
pub(crate) struct Layout<S>(PhantomData<S>);

impl<S: State> Layout<S> {
    /// Bits taken by the value: its size in bytes, times 8.
    pub(crate) const VALUE_BITS: u32 = {
        assert!(
            size_of::<S>() >= 1 && size_of::<S>() <= 4,
            "stateword: a State must be 1 to 4 bytes wide"
        );
        assert!(
            S::LAYOUT_OK,
            "stateword: Option<S> needs spare encoding room in S (an enum, bool or char); \
             Option of an integer has none, use a wider integer or an enum"
        );
        assert!(
            WORD_BITS - (size_of::<S>() as u32) * 8 >= MIN_VERSION_BITS,
            "stateword: this target has no 64-bit atomics, so states wider than 16 bits \
             leave no room for the version; use a u8/u16-sized state here"
        );
        assert!(
            S::VARIANTS <= 64,
            "stateword: finite states are limited to 64 variants"
        );
        (size_of::<S>() as u32) * 8
    };
    /// Mask of the value bits.
    const VALUE_MASK: Word = Word::MAX >> (WORD_BITS - Self::VALUE_BITS);
    /// Mask of a version number (after shifting it down).
    pub(crate) const VERSION_MASK: Word = Word::MAX >> Self::VALUE_BITS;
    /// One transition, in word units.
    const ONE: Word = 1 << Self::VALUE_BITS;

    /// The word holding `value` at `version`.
    pub(crate) const fn pack(version: Word, value: S) -> Word {
        (version << Self::VALUE_BITS) | encode(value)
    }

    /// The version stored in `word`.
    #[inline]
    pub(crate) const fn version(word: Word) -> Word {
        word >> Self::VALUE_BITS
    }

    /// The version stored in `word`, as the public API reports it.
    #[inline]
    pub(crate) const fn version_u64(word: Word) -> u64 {
        widen(Self::version(word))
    }

    /// The raw value bits in `word`; equal bits mean equal states.
    #[inline]
    pub(crate) const fn bits(word: Word) -> Word {
        word & Self::VALUE_MASK
    }

    /// The value stored in `word`.
    #[inline]
    pub(crate) fn value(word: Word) -> S {
        // SAFETY: every word the crate stores is built by `pack` or `next`
        // from a real `S` (module docs), so its value bits are the `encode`d
        // bytes of one.
        unsafe { decode(Self::bits(word)) }
    }

    /// `word` moved on by one transition into `value`: the version wraps, the
    /// value bits are replaced.
    #[inline]
    pub(crate) fn next(word: Word, value: S) -> Word {
        (word & !Self::VALUE_MASK).wrapping_add(Self::ONE) | encode(value)
    }

    /// How many transitions lead from version `from` to version `to`, modulo
    /// the version space: serial-number arithmetic (RFC 1982).
    #[inline]
    pub(crate) const fn distance(from: Word, to: Word) -> Word {
        to.wrapping_sub(from) & Self::VERSION_MASK
    }
}

/// The observable's state word: value and version in one atomic.
pub(crate) struct StateWord<S> {
    atomic: AtomicWord,
    _state: PhantomData<S>,
}

impl<S: State> StateWord<S> {
    loom_const_fn! {
        /// `initial` at version 0.
        pub(crate) fn new(initial: S) -> Self {
            StateWord {
                atomic: AtomicWord::new(Layout::<S>::pack(0, initial)),
                _state: PhantomData,
            }
        }
    }

    /// What `get`, `version` and `update` read. Acquire: a value comes with
    /// whatever its setter wrote before setting it.
    #[inline]
    pub(crate) fn read(&self) -> Word {
        self.atomic.load(Ordering::Acquire)
    }

    /// A guess for [`try_transition`](Self::try_transition), or a bound on
    /// committed versions. Relaxed: the CAS validates a guess, and coherence
    /// alone makes the bound at least every version this thread committed.
    #[inline]
    pub(crate) fn guess(&self) -> Word {
        self.atomic.load(Ordering::Relaxed)
    }

    /// A read in the single total order of SeqCst operations: a registered
    /// waiter's look (W2, W4 in `waiters.rs`), and the ring's accesses.
    #[inline]
    pub(crate) fn read_in_order(&self) -> Word {
        self.atomic.load(Ordering::SeqCst)
    }

    /// Commits `expected → value` (weak: callers loop), returning the new
    /// word or the one found. SeqCst on success (S1 in `waiters.rs`, and a
    /// release); Acquire on failure, so a retry decodes a value whose
    /// setter's writes are visible.
    #[inline]
    pub(crate) fn try_transition(&self, expected: Word, value: S) -> Result<Word, Word> {
        let new = Layout::<S>::next(expected, value);
        self.atomic
            .compare_exchange_weak(expected, new, Ordering::SeqCst, Ordering::Acquire)
            .map(|_| new)
    }

    /// For the wrap-around tests: as if `version` transitions had happened.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn jump_to(&self, version: Word, value: S) {
        self.atomic
            .store(Layout::<S>::pack(version, value), Ordering::Relaxed);
    }
}

/// A version (or any word-sized count) as the public API's `u64`.
#[inline]
#[allow(clippy::unnecessary_cast)] // `Word` is `u32` on targets without 64-bit atomics
pub(crate) const fn widen(version: Word) -> u64 {
    version as u64
}

/// Reinterprets a state as its bytes, or bytes as a state. A union, not a
/// transmute, because it works in `const fn` on generic `S` (so
/// `Observable::new` stays const for statics).
union Bytes<S: Copy> {
    value: S,
    raw: [u8; 4],
}

/// The value bits of `value`: its bytes, little-endian, zero-extended.
pub(crate) const fn encode<S: State>(value: S) -> Word {
    let size = Layout::<S>::VALUE_BITS as usize / 8;
    let mut bytes = Bytes { raw: [0; 4] };
    bytes.value = value;
    // SAFETY: `raw` was fully initialised; writing `value` over it replaced the
    // first `size` bytes with the bytes of an `S`, which the `State` contract
    // says are all initialised (no padding). The rest stay zero.
    let raw = unsafe { bytes.raw };
    let mut bits: Word = 0;
    let mut i = 0;
    while i < size {
        bits |= (raw[i] as Word) << (8 * i);
        i += 1;
    }
    bits
}

/// The state whose value bits are `bits`.
///
/// # Safety
///
/// `bits` must have come from [`encode`] of an `S`.
#[inline]
pub(crate) unsafe fn decode<S: State>(bits: Word) -> S {
    let size = Layout::<S>::VALUE_BITS as usize / 8;
    let mut raw = [0u8; 4];
    let mut i = 0;
    while i < size {
        raw[i] = (bits >> (8 * i)) as u8;
        i += 1;
    }
    let bytes = Bytes::<S> { raw };
    // SAFETY: the caller promises these bytes are the encoding of a real `S`,
    // so the first `size_of::<S>()` bytes of `bytes` form a valid `S`.
    unsafe { bytes.value }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// `decode(encode(v))`, the only way the crate ever calls `decode`.
    fn round_trip<S: State>(value: S) -> S {
        // SAFETY: the bits come straight from `encode` of an `S`.
        unsafe { decode(encode(value)) }
    }

    #[test]
    fn round_trips_every_builtin_shape() {
        assert_eq!(round_trip('λ'), 'λ');
        assert_eq!(round_trip(-2i16), -2);
        assert_eq!(round_trip(None::<bool>), None);
        assert_eq!(round_trip(Some(true)), Some(true));
        assert_eq!(round_trip(u32::MAX), u32::MAX);
        assert_eq!(
            encode(1u16),
            1,
            "value bits are little-endian on every target"
        );
    }

    #[test]
    fn version_wraps_into_zero_and_keeps_the_value() {
        let top = Layout::<u8>::VERSION_MASK;
        let w = Layout::<u8>::pack(top, 7);
        let n = Layout::<u8>::next(w, 9);
        assert_eq!(Layout::<u8>::version(n), 0);
        assert_eq!(Layout::<u8>::value(n), 9);
        assert_eq!(Layout::<u8>::distance(top, 1), 2);
    }
}
