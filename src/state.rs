//! The [`State`] trait: what can live in an [`Observable`](crate::Observable),
//! and how it is encoded into the value bits of the state word.

use crate::initial::{BytesAreEncoding, BytesInitial, InitialSlot, LazyInitial};
use crate::ledger::{Ledger, NoLedger, VariantLedger};

/// A value that fits in the state word.
///
/// A state encodes itself into [`BITS`](Self::BITS) value bits and decodes
/// back; the state word keeps the rest of its bits for the version, so a
/// narrower state counts further before its version wraps. (The built-in
/// numbers, `bool` and fieldless enums are stored as their bytes and keep
/// the whole byte width, which keeps `get` and `set` at their floor.)
///
/// Implemented for `bool`, `u8`, `u16`, `u32`, `i8`, `i16`, `i32`, `char`,
/// `Option` of any state (one more bit), and by
/// [`#[derive(State)]`](derive@crate::State) for enums, with or without data,
/// and for structs of states.
///
/// # Ledger variants: what a wait never misses
///
/// A state with [`VARIANTS`](Self::VARIANTS) `> 0` has an entry ledger: the
/// observable remembers, per *ledger variant*, an entry into it (value and
/// version): the last one, or for a variant with one value an earlier one
/// that every registered wait's window already holds. A wait then never
/// misses a variant entered after it began, however briefly, and returns
/// that entry's value:
///
/// | shape | ledger variants | a wait is exact for |
/// |---|---|---|
/// | fieldless enum, `bool` | one per value | every predicate |
/// | struct of finite fields, at most 64 values in all | one per value | every predicate |
/// | enum whose variants carry data | one per enum variant | which variant; the data of the latest entry of each variant |
/// | `Option<S>` | `None`, then `S`'s (or one `Some` if `S` has none) | `is_some`/`is_none` at least; as `S` inside |
/// | integers, `char`, other structs | none: level-triggered | the value when the wait runs |
///
/// A predicate that looks at a variant's data sees the latest entry of that
/// variant since the wait began: if `Closed { code: 1 }` and then
/// `Closed { code: 2 }` were both entered before the waiter ran, it sees
/// code 2 only. With a history ring
/// ([`Observable::with_history`](crate::Observable::with_history)) every
/// entry the ring still holds is seen, in order.
///
/// A state is *finite* ([`FINITE`](Self::FINITE)) when every ledger variant
/// holds exactly one value: then every predicate is exact.
///
/// ```
/// use stateword::State;
///
/// #[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
/// enum Light { Off, On }
///
/// assert_eq!(Light::BITS, 1);
/// assert_eq!(Light::VARIANTS, 2);
/// assert_eq!(Light::On.index(), 1);
/// assert_eq!(Light::from_index(0), Some(Light::Off));
/// assert_eq!(Light::decode(Light::On.encode()), Light::On);
/// assert_eq!(Option::<Light>::VARIANTS, 3);
/// assert_eq!(Option::<u16>::VARIANTS, 2); // None, Some
/// assert_eq!(u16::VARIANTS, 0); // integers are level-triggered
/// ```
///
/// # Implementing it by hand
///
/// Prefer the derive. A hand-written impl needs no `unsafe`: if it breaks
/// the rules below, waits and `get` give wrong answers, never undefined
/// behaviour.
///
/// * `encode` returns less than `2^BITS`, and `decode(encode(v)) == v`;
///   two values are `==` exactly when their encodings are.
/// * If `VARIANTS > 0`: `index` maps values into `0..VARIANTS`, and
///   `from_index(i)` is `Some(v)` exactly when `v` is the only value with
///   index `i`. `FINITE` is true exactly when that holds for every `i`.
/// * `Ledger` is [`NoLedger`](crate::NoLedger) for no ledger variants and
///   [`VariantLedger<VARIANTS>`](crate::VariantLedger) otherwise (a
///   mismatch is a compile error), and `Initial` is
///   [`LazyInitial<Self>`](crate::LazyInitial).
///
/// ```
/// use stateword::{Observable, State};
///
/// /// A percentage, 0 to 100: seven bits.
/// #[derive(Clone, Copy, Debug, PartialEq)]
/// struct Percent(u8);
///
/// impl State for Percent {
///     const BITS: u32 = 7;
///     const VARIANTS: usize = 0; // level-triggered, like the integers
///     const FINITE: bool = false;
///     type Ledger = stateword::NoLedger;
///     type Initial = stateword::LazyInitial<Self>;
///     fn encode(self) -> u64 { u64::from(self.0.min(100)) }
///     fn decode(bits: u64) -> Self { Percent(bits as u8) }
///     fn index(self) -> usize { 0 }
///     fn from_index(_: usize) -> Option<Self> { None }
/// }
///
/// let battery = Observable::new(Percent(80));
/// battery.set(Percent(79));
/// assert_eq!(battery.get(), Percent(79));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a `State`",
    label = "not a `State`",
    note = "a state is `bool`, `u8`, `u16`, `u32`, `i8`, `i16`, `i32`, `char`, `Option` of a state, \
            or a type with `#[derive(State)]` (an enum, or a struct whose fields are states)"
)]
pub trait State: Copy + PartialEq + Send + Sync + 'static {
    /// How many value bits the encoding needs (the rest of the word counts
    /// versions). At most 48 on targets with 64-bit atomics, 16 on others.
    const BITS: u32;

    /// How many ledger variants the state has (at most 64); 0 for
    /// level-triggered states. See the table above.
    const VARIANTS: usize;

    /// Whether every ledger variant holds exactly one value, so every
    /// predicate is exact (fieldless enums, `bool`, finite structs).
    const FINITE: bool;

    /// The per-variant entry ledger the observable keeps for this state:
    /// [`NoLedger`](crate::NoLedger) when `VARIANTS` is 0.
    type Ledger: Ledger;

    /// Where `Observable::new` keeps the initial value until the first
    /// access encodes it (a `const fn` cannot call `encode`):
    /// [`LazyInitial<Self>`](crate::LazyInitial). The derive and the
    /// built-in states pick a zero-sized type instead when their bytes are
    /// their encoding, so they are stored at compile time.
    type Initial: InitialSlot<Self>;

    /// This value's encoding: less than `2^BITS`.
    fn encode(self) -> u64;

    /// The value whose encoding is `bits`. Bits that no value encodes to
    /// decode to some value (never undefined behaviour).
    fn decode(bits: u64) -> Self;

    /// This value's ledger variant, in `0..VARIANTS` (0 for level-triggered
    /// states).
    fn index(self) -> usize;

    /// The only value of ledger variant `index`, if it has exactly one
    /// (`None` for variants that carry data, out-of-range indices and
    /// level-triggered states).
    fn from_index(index: usize) -> Option<Self>;
}

/// `bits` as a `u64` mask: `2^bits - 1`, all ones for 64 or more.
#[doc(hidden)]
pub const fn mask(bits: u32) -> u64 {
    if bits >= 64 {
        u64::MAX
    } else {
        (1 << bits) - 1
    }
}

/// `value << at`, 0 once `at` passes the width (for `#[derive(State)]`).
#[doc(hidden)]
#[inline]
pub const fn shl(value: u64, at: u32) -> u64 {
    if at >= 64 {
        0
    } else {
        value << at
    }
}

/// `value >> at`, 0 once `at` passes the width (for `#[derive(State)]`).
#[doc(hidden)]
#[inline]
pub const fn shr(value: u64, at: u32) -> u64 {
    if at >= 64 {
        0
    } else {
        value >> at
    }
}

/// The items of a level-triggered state stored as its bytes: no ledger.
macro_rules! level_triggered_bytes {
    () => {
        const VARIANTS: usize = 0;
        const FINITE: bool = false;
        type Ledger = NoLedger;
        type Initial = BytesInitial;
        #[inline]
        fn index(self) -> usize {
            0
        }
        fn from_index(_: usize) -> Option<Self> {
            None
        }
    };
}

macro_rules! impl_integer {
    ($($t:ty as $u:ty),*) => {$(
        impl State for $t {
            const BITS: u32 = <$u>::BITS;
            level_triggered_bytes!();
            #[inline]
            fn encode(self) -> u64 {
                u64::from(self as $u)
            }
            #[inline]
            fn decode(bits: u64) -> Self {
                bits as $u as $t
            }
        }

        // SAFETY: an integer has no padding, and every bit pattern is a
        // value; its little-endian bytes, zero-extended, are `encode`.
        unsafe impl BytesAreEncoding for $t {}
    )*};
}

impl_integer!(u8 as u8, u16 as u16, u32 as u32, i8 as u8, i16 as u16, i32 as u32);

impl State for char {
    /// `char::MAX` is `0x10FFFF`.
    const BITS: u32 = 21;
    level_triggered_bytes!();
    #[inline]
    fn encode(self) -> u64 {
        u64::from(u32::from(self))
    }
    #[inline]
    fn decode(bits: u64) -> Self {
        char::from_u32(bits as u32).unwrap_or(char::REPLACEMENT_CHARACTER)
    }
}

// SAFETY: a `char` is 4 bytes, its scalar value (`encode`, below 2^21), no
// padding; 0 is `'\0'`.
unsafe impl BytesAreEncoding for char {}

impl State for bool {
    const BITS: u32 = 1;
    const VARIANTS: usize = 2;
    const FINITE: bool = true;
    type Ledger = VariantLedger<2>;
    type Initial = BytesInitial;
    #[inline]
    fn encode(self) -> u64 {
        u64::from(self)
    }
    #[inline]
    fn decode(bits: u64) -> Self {
        bits != 0
    }
    #[inline]
    fn index(self) -> usize {
        self as usize
    }
    fn from_index(index: usize) -> Option<Self> {
        match index {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
}

// SAFETY: a `bool` is one byte, 0 or 1, which is its `encode` (below 2^1);
// 0 is `false`.
unsafe impl BytesAreEncoding for bool {}

/// `None` is 0; `Some(s)` is `s`'s encoding shifted up past a 1. Ledger
/// variant 0 is `None`; `Some` takes `S`'s variants after it, or one variant
/// of its own when `S` has none (`Option<u16>`: "none until bound" is exact).
impl<S: State> State for Option<S> {
    const BITS: u32 = S::BITS + 1;
    const VARIANTS: usize = if S::VARIANTS == 0 { 2 } else { S::VARIANTS + 1 };
    const FINITE: bool = S::FINITE;
    type Ledger = <S::Ledger as Ledger>::WithNone;
    type Initial = LazyInitial<Self>;
    #[inline]
    fn encode(self) -> u64 {
        match self {
            None => 0,
            Some(s) => 1 | s.encode() << 1,
        }
    }
    #[inline]
    fn decode(bits: u64) -> Self {
        (bits & 1 != 0).then(|| S::decode(bits >> 1))
    }
    #[inline]
    fn index(self) -> usize {
        match self {
            None => 0,
            Some(s) => 1 + s.index(),
        }
    }
    fn from_index(index: usize) -> Option<Self> {
        match index {
            0 => Some(None),
            _ if S::VARIANTS == 0 => None,
            i => S::from_index(i - 1).map(Some),
        }
    }
}
