//! The packed state word: a state's encoding and its version in one atomic.
//!
//! ```text
//!  bit  WORD_BITS-1 ............. VALUE_BITS   VALUE_BITS-1 ........ 0
//!      +----------------------------------------+----------------------+
//!      | version: transitions so far (wraps)    | value: `State::encode`|
//!      |                                        | (+ an "encoded" flag) |
//!      +----------------------------------------+----------------------+
//! ```
//!
//! The value takes `S::BITS` bits, plus one (the "encoded" flag) for states
//! that `Observable::new` cannot store at compile time (`initial.rs`); a
//! state stored as its bytes keeps their whole width, so `get` and `set`
//! read it from a byte register. The version gets the rest, at least 16 bits:
//!
//! | state | value bits | version bits, 64-bit word (x86_64, aarch64) | version bits, 32-bit word (thumbv7, riscv32) |
//! |---|---:|---:|---:|
//! | `bool`, a fieldless enum of up to 64 variants, a 3-bit one (5 to 8 variants) included: stored as its byte | 8 | 56 | 24 |
//! | a 3-bit struct, `struct Link { up: bool, mode: Mode }` (3 + the flag) | 4 | 60 | 28 |
//! | `Option<Conn>` of a 5-variant `Conn` (3 + `None`, + the flag) | 5 | 59 | 27 |
//! | `Conn` with `Connected { peer: u8 }` (3 + 8, + the flag) | 12 | 52 | 20 |
//! | `u16` | 16 | 48 | 16 |
//! | `Conn` with `Closed { code: u16 }` (3 + 16, + the flag) | 20 | 44 | compile error: 4 bits too wide |
//! | `u32`, `char` | 32 | 32 | compile error: 16 bits too wide |
//! | widest state | 48 | 16 | — (16 value bits at most) |
//!
//! | word | meaning |
//! |---|---|
//! | `version << VALUE_BITS \| encode(v)` | `v`, after `version` transitions (const-encodable states) |
//! | `version << VALUE_BITS \| ENCODED \| encode(v)` | the same, for the others |
//! | `0`, for the others | the initial value, not yet encoded: only ever at version 0 |
//!
//! A "not yet encoded" word is never handed out: [`StateWord`]'s reads
//! replace it by the encoded initial value first (`encode_initial`), and
//! setters never write it (every word they build has `ENCODED`). So the rest
//! of the crate sees only words built by [`Layout::pack`] or
//! [`Layout::next`], and empty ledger slots and ring cells (0), which are
//! never read as entries before they are written (`ledger.rs`,
//! `history.rs`). A state stored as its bytes decodes by reading them back
//! (every value bit pattern stored is an encoding or 0, which
//! `BytesAreEncoding` makes valid bytes); the others through
//! `State::decode`, which takes any bits.
//!
//! Versions wrap, so they are compared with serial-number arithmetic
//! ([`Layout::distance`], and windows bounded by the current version in
//! `ledger.rs`), never with `>`. [`StateWord`]'s few operations are the only
//! accesses to the observable's word; each says why its ordering is right.

use core::marker::PhantomData;

use crate::initial::{slot_for, InitialSlot};
use crate::state::State;
use crate::sync::{loom_const_fn, AtomicWord, Ordering, Word};

/// Bits in the state word.
pub(crate) const WORD_BITS: u32 = Word::BITS;
/// The fewest version bits we accept: below this the version would wrap
/// within a few milliseconds of busy setting.
const MIN_VERSION_BITS: u32 = 16;

/// Compile-time facts about how `S` sits in the word.
pub(crate) struct Layout<S>(PhantomData<S>);

/// Stops the build with how many bits `S` is too wide: const panics cannot
/// format numbers, so each count has its own message.
macro_rules! too_wide {
    ($excess:expr; $($n:literal)*) => {
        match $excess {
            $($n => panic!(concat!(
                "stateword: this state's encoding is ", stringify!($n),
                " bit(s) too wide for the state word on this target, which keeps at least \
                 16 bits for the version (value bits: at most 48 with 64-bit atomics, 16 \
                 without); narrow a field (u16 for u32, an enum for a number) or split the state"
            )),)*
            _ => panic!("stateword: this state's encoding is far too wide for the state word"),
        }
    };
}

impl<S: State> Layout<S> {
    /// Whether the word starts as "not yet encoded" (module docs).
    const LAZY: bool = <S::Initial as InitialSlot<S>>::KEEPS_VALUE;

    /// Bits taken by the value: `S::BITS` (at least 1), and the flag.
    pub(crate) const VALUE_BITS: u32 = {
        assert!(
            S::VARIANTS <= 64,
            "stateword: a state has at most 64 ledger variants"
        );
        assert!(
            <S::Ledger as crate::ledger::Ledger>::SLOTS == S::VARIANTS,
            "stateword: State::Ledger must have VARIANTS slots \
             (NoLedger for 0, VariantLedger<N> for N)"
        );
        let excess = excess_bits::<S>();
        if excess > 0 {
            too_wide!(excess; 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23
                24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48);
        }
        Self::needed_bits()
    };
    /// `S::BITS` (at least 1), and the flag; a state stored as its bytes
    /// keeps their whole width: the hot paths then read the value from a
    /// byte register instead of masking it (an instruction on `set`, +4.6%
    /// in criterion's `set` for a 3-bit enum; BENCHMARKS.md).
    const fn needed_bits() -> u32 {
        let bits = if S::BITS == 0 { 1 } else { S::BITS };
        if Self::LAZY {
            bits.saturating_add(1)
        } else {
            let bytes = core::mem::size_of::<S>() as u32 * 8;
            if bytes > bits {
                bytes
            } else {
                bits
            }
        }
    }
    /// Mask of the value bits.
    const VALUE_MASK: Word = Word::MAX >> (WORD_BITS - Self::VALUE_BITS);
    /// Set in every word a setter builds for a lazily encoded state.
    const ENCODED: Word = if Self::LAZY {
        1 << (Self::VALUE_BITS - 1)
    } else {
        0
    };
    /// Mask of a version number (after shifting it down).
    pub(crate) const VERSION_MASK: Word = Word::MAX >> Self::VALUE_BITS;
    /// Whether half a version cycle is out of reach: 2^55 transitions or
    /// more (56 version bits or more: states of at most 8 value bits, the
    /// "encoded" flag included, on 64-bit targets), over a year of them at
    /// one a nanosecond. Only then may two versions that are not counted
    /// from the current one be compared in serial order alone
    /// (`ledger::start_at_or_before`).
    pub(crate) const HALF_CYCLE_OUT_OF_REACH: bool = WORD_BITS - Self::VALUE_BITS >= 56;
    /// One transition, in word units.
    const ONE: Word = 1 << Self::VALUE_BITS;

    /// The value bits of `value`.
    #[inline]
    fn encode(value: S) -> Word {
        // Truncation keeps a wrong hand-written `encode` out of the version.
        (value.encode() as Word & (Self::VALUE_MASK >> Self::LAZY as u32)) | Self::ENCODED
    }

    /// The word holding `value` at `version`.
    #[inline]
    pub(crate) fn pack(version: Word, value: S) -> Word {
        (version << Self::VALUE_BITS) | Self::encode(value)
    }

    /// The word `Observable::new` stores: `initial`'s bytes if they are its
    /// encoding, else "not yet encoded".
    const fn initial_word(initial: S) -> Word {
        // Evaluates the layout's compile-time checks for every observable.
        let _ = Self::VALUE_BITS;
        if Self::LAZY {
            return 0;
        }
        // SAFETY: `S::Initial` keeps no value only for `BytesInitial`, whose
        // impl needs `S: BytesAreEncoding`: 1 to 8 bytes without padding
        // (that trait's contract), checked again by `raw_bits`'s assertion.
        unsafe { raw_bits(initial) as Word }
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
        let bits = widen(Self::bits(word) & !Self::ENCODED);
        if Self::LAZY {
            S::decode(bits)
        } else {
            // SAFETY: `S::Initial` keeps no value only for `BytesInitial`,
            // whose impl needs `S: BytesAreEncoding`: every encoding, and 0,
            // is the bytes of a valid `S` (that trait's contract). The value
            // bits of every word the crate stores are one of those (module
            // docs: built by `pack`/`next` from `encode`, or `initial_word`
            // from the bytes, or 0 in an empty slot or cell), and the mask in
            // `encode` only drops bits that are 0 under the contract.
            unsafe { from_raw_bits(bits) }
        }
    }

    /// `word` moved on by one transition into `value`: the version wraps, the
    /// value bits are replaced.
    #[inline]
    pub(crate) fn next(word: Word, value: S) -> Word {
        (word & !Self::VALUE_MASK).wrapping_add(Self::ONE) | Self::encode(value)
    }

    /// How many transitions lead from version `from` to version `to`, modulo
    /// the version space: serial-number arithmetic (RFC 1982).
    #[inline]
    pub(crate) const fn distance(from: Word, to: Word) -> Word {
        to.wrapping_sub(from) & Self::VERSION_MASK
    }
}

/// The observable's state word: value and version in one atomic.
pub(crate) struct StateWord<S: State> {
    atomic: AtomicWord,
    /// For a lazily encoded state, what "not yet encoded" stands for;
    /// zero-sized for the others (`initial.rs`).
    initial: S::Initial,
}

impl<S: State> StateWord<S> {
    loom_const_fn! {
        /// `initial` at version 0.
        pub(crate) fn new(initial: S) -> Self {
            StateWord {
                atomic: AtomicWord::new(Layout::<S>::initial_word(initial)),
                initial: slot_for(initial),
            }
        }
    }

    /// `word`, unless it is "not yet encoded": then the encoded initial value,
    /// stored first so every thread agrees on it. Compiles to nothing for
    /// const-encodable states.
    #[inline(always)]
    fn encoded(&self, word: Word) -> Word {
        if Layout::<S>::LAZY && word == 0 {
            self.encode_initial()
        } else {
            word
        }
    }

    /// Replaces "not yet encoded" by the encoded initial value. Every racer
    /// stores the same word, and only over "not yet encoded" (which nothing
    /// else ever writes), so it happens once. SeqCst on both outcomes: as
    /// strong as the strongest read this stands in for (`read_in_order`).
    #[cold]
    fn encode_initial(&self) -> Word {
        let initial = Layout::<S>::pack(0, self.initial.value());
        match self
            .atomic
            .compare_exchange(0, initial, Ordering::SeqCst, Ordering::SeqCst)
        {
            Ok(_) => initial,
            Err(actual) => actual,
        }
    }

    /// What `get`, `version` and `update` read. Acquire: a value comes with
    /// whatever its setter wrote before setting it.
    #[inline]
    pub(crate) fn read(&self) -> Word {
        self.encoded(self.atomic.load(Ordering::Acquire))
    }

    /// A guess for [`try_transition`](Self::try_transition), or a bound on
    /// committed versions. Relaxed: the CAS validates a guess, and coherence
    /// alone makes the bound at least every version this thread committed.
    #[inline]
    pub(crate) fn guess(&self) -> Word {
        self.encoded(self.atomic.load(Ordering::Relaxed))
    }

    /// A read in the single total order of SeqCst operations: a registered
    /// waiter's look (W3 in `waiters.rs`), and the ring's accesses.
    #[inline]
    pub(crate) fn read_in_order(&self) -> Word {
        self.encoded(self.atomic.load(Ordering::SeqCst))
    }

    /// Commits `expected → value` (weak: callers loop), returning the new
    /// word or the one found. SeqCst on success (S1 in `waiters.rs`, and a
    /// release); Acquire on failure, so a retry decodes a value whose
    /// setter's writes are visible.
    #[inline]
    pub(crate) fn try_transition(&self, expected: Word, value: S) -> Result<Word, Word> {
        let new = Layout::<S>::next(expected, value);
        // A failure never finds "not yet encoded": `expected` came from one
        // of the reads above, so the word was encoded already, for good.
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

/// A value's bytes, little-endian, zero-extended. A union, not a transmute,
/// because it works in `const fn` on generic `S` (so `Observable::new` stays
/// const for statics).
///
/// # Safety
///
/// `S` is at most 8 bytes and has no padding or uninitialised bytes.
const unsafe fn raw_bits<S: Copy>(value: S) -> u64 {
    union Bytes<S: Copy> {
        value: S,
        raw: [u8; 8],
    }
    let size = core::mem::size_of::<S>();
    assert!(
        size <= 8,
        "stateword: a const-encoded state is at most 8 bytes"
    );
    let mut bytes = Bytes { raw: [0; 8] };
    bytes.value = value;
    // SAFETY: `raw` was fully initialised; writing `value` over it replaced
    // the first `size` bytes with the bytes of an `S`, all initialised (the
    // caller's promise). The rest stay zero.
    let raw = unsafe { bytes.raw };
    let mut bits = 0;
    let mut i = 0;
    while i < size {
        bits |= (raw[i] as u64) << (8 * i);
        i += 1;
    }
    bits
}

/// The value whose bytes, read as a little-endian integer, are `bits`: the
/// inverse of [`raw_bits`]. Faster than `State::decode`, which must map
/// every bit pattern to some value.
///
/// # Safety
///
/// `S` is at most 8 bytes, and the low `size_of::<S>()` bytes of `bits`
/// are the bytes of a valid `S`.
#[inline]
unsafe fn from_raw_bits<S: Copy>(bits: u64) -> S {
    union Bytes<S: Copy> {
        raw: [u8; 8],
        value: S,
    }
    let bytes = Bytes::<S> {
        raw: bits.to_le_bytes(),
    };
    // SAFETY: the caller's promise: the first `size_of::<S>()` bytes form a
    // valid `S` (`raw` covers them: `S` is at most 8 bytes).
    unsafe { bytes.value }
}

/// How many bits `S`'s value is too wide for the state word on this target
/// (0 if it fits): what `#[derive(State)]` checks where the type is defined,
/// so the error names the type and the line.
#[doc(hidden)]
pub const fn excess_bits<S: State>() -> u32 {
    Layout::<S>::needed_bits().saturating_sub(WORD_BITS - MIN_VERSION_BITS)
}

/// `value`'s bytes, for `#[derive(State)]`'s compile-time check that a
/// fieldless enum's bytes are its index (so it may be stored as its bytes).
///
/// # Safety
///
/// As [`raw_bits`].
#[doc(hidden)]
pub const unsafe fn bytes_of<S: Copy>(value: S) -> u64 {
    // SAFETY: the caller's promise is `raw_bits`'s.
    unsafe { raw_bits(value) }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// A word's round trip, the way every value comes back out.
    fn round_trip<S: State>(value: S) -> S {
        Layout::<S>::value(Layout::<S>::pack(3, value))
    }

    #[test]
    fn round_trips_every_builtin_shape() {
        assert_eq!(round_trip('λ'), 'λ');
        assert_eq!(round_trip(-2i16), -2);
        assert_eq!(round_trip(None::<bool>), None);
        assert_eq!(round_trip(Some(true)), Some(true));
        assert_eq!(round_trip(Some(u16::MAX)), Some(u16::MAX));
        assert_eq!(round_trip(u32::MAX), u32::MAX);
        assert_eq!(Layout::<u16>::bits(Layout::<u16>::pack(0, 1)), 1);
    }

    #[test]
    fn const_encoded_states_start_as_their_bytes_and_others_lazily() {
        // The bytes of a const-encodable state are its encoding...
        assert_eq!(Layout::<char>::initial_word('λ'), 'λ'.encode() as Word);
        assert_eq!(Layout::<i8>::initial_word(-1), (-1i8).encode() as Word);
        // ...the others start "not yet encoded", and the first read encodes.
        assert_eq!(Layout::<Option<u8>>::initial_word(Some(7)), 0);
        let word = StateWord::new(Some(7u8));
        assert_eq!(Layout::<Option<u8>>::value(word.guess()), Some(7));
        assert_ne!(word.atomic.load(Ordering::Relaxed), 0);
        assert_eq!(Layout::<Option<u8>>::version(word.read()), 0);
    }

    #[test]
    fn narrow_states_leave_the_rest_of_the_word_to_the_version() {
        assert_eq!(Layout::<Option<bool>>::VALUE_BITS, 3); // 1 + None, + the flag
                                                           // Stored as its byte: the whole byte, read from a byte register.
        assert_eq!(Layout::<bool>::VALUE_BITS, 8);
        assert_eq!(Layout::<u8>::VERSION_MASK, Word::MAX >> 8);
    }

    #[test]
    fn a_wrong_hand_written_encode_cannot_reach_the_version() {
        #[derive(Clone, Copy, PartialEq, Debug)]
        struct Liar;
        impl State for Liar {
            const BITS: u32 = 1;
            const VARIANTS: usize = 0;
            const FINITE: bool = false;
            type Ledger = crate::ledger::NoLedger;
            type Initial = crate::initial::LazyInitial<Self>;
            fn encode(self) -> u64 {
                u64::MAX
            }
            fn decode(_: u64) -> Self {
                Liar
            }
            fn index(self) -> usize {
                0
            }
            fn from_index(_: usize) -> Option<Self> {
                None
            }
        }
        assert_eq!(Layout::<Liar>::version(Layout::<Liar>::pack(5, Liar)), 5);
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
