//! The [`State`] trait: what can live in an [`Observable`](crate::Observable).

use crate::ledger::{Ledger, NoLedger, OptionLedger, VariantLedger};

/// A value that fits in the state word.
///
/// Implemented for `bool`, `u8`, `u16`, `u32`, `i8`, `i16`, `i32`, `char`,
/// `Option<S>` of a state with spare encoding room ([`HasSpareRoom`]), and by
/// [`#[derive(State)]`](derive@crate::State) for fieldless enums.
///
/// *Finite* states (derived enums, `bool`, and `Option` of those) have
/// `VARIANTS > 0`: the observable keeps an entry ledger for them, so a waiter
/// never misses a short-lived state. Integers and `char` are not finite:
/// their `wait_for` is level-triggered (it checks the value when it runs), and
/// `changed` is still exact.
///
/// ```
/// use stateword::State;
///
/// #[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
/// enum Light { Off, On }
///
/// assert_eq!(Light::VARIANTS, 2);
/// assert_eq!(Light::On.index(), 1);
/// assert_eq!(Light::from_index(0), Light::Off);
/// assert_eq!(Option::<Light>::VARIANTS, 3);
/// assert_eq!(u16::VARIANTS, 0); // integers are not finite
/// ```
///
/// # Safety
///
/// The observable stores a state as its raw bytes and reads those bytes back
/// as `Self`, so an implementation promises that `Self` has no padding or
/// uninitialised bytes in any value (fieldless enums, `bool`, `char` and the
/// integers qualify; the size, 1 to 4 bytes, is checked at compile time).
///
/// For correct results, not for safety, it also promises that two values are
/// equal (`==`) exactly when their bytes are, and if `VARIANTS > 0` that
/// `index` maps the values one-to-one onto `0..VARIANTS` with `from_index` its
/// inverse. `#[derive(State)]` upholds all of this; prefer it to a
/// hand-written impl.
pub unsafe trait State: Copy + PartialEq + Send + Sync + 'static {
    /// How many distinct values a finite state has (at most 64); 0 for
    /// integers and other non-finite states.
    const VARIANTS: usize;

    /// The per-variant entry ledger the observable keeps for this state.
    #[doc(hidden)]
    type Ledger: Ledger;

    /// Whether the encoding has no uninitialised bytes (false for `Option` of
    /// a type without a niche); checked at compile time.
    #[doc(hidden)]
    const LAYOUT_OK: bool = true;

    /// This value's position in `0..VARIANTS` (finite states only; 0 for
    /// others).
    fn index(self) -> usize;

    /// The value at position `index` of `0..VARIANTS`.
    ///
    /// # Panics
    ///
    /// If `index >= VARIANTS`, or the state is not finite.
    fn from_index(index: usize) -> Self;
}

fn not_finite(type_name: &str) -> ! {
    panic!("stateword: {type_name} is not a finite state; from_index has no values to return")
}

macro_rules! impl_not_finite {
    ($($t:ty),*) => {$(
        // SAFETY: primitive integers and `char` are 1 to 4 bytes with no padding,
        // compare equal exactly when their bytes are equal, and are not finite.
        unsafe impl State for $t {
            const VARIANTS: usize = 0;
            type Ledger = NoLedger;
            #[inline]
            fn index(self) -> usize {
                0
            }
            fn from_index(_: usize) -> Self {
                not_finite(stringify!($t))
            }
        }
    )*};
}

impl_not_finite!(u8, u16, u32, i8, i16, i32, char);

// SAFETY: `bool` is one byte, always 0 or 1, equal exactly when its bytes are;
// `index` is `false → 0, true → 1` and `from_index` inverts it.
unsafe impl State for bool {
    const VARIANTS: usize = 2;
    type Ledger = VariantLedger<2>;
    #[inline]
    fn index(self) -> usize {
        self as usize
    }
    fn from_index(index: usize) -> Self {
        match index {
            0 => false,
            1 => true,
            _ => panic!("stateword: bool has 2 variants, index {index} is out of range"),
        }
    }
}

/// A state with bit patterns it never uses, so `Option<Self>` is as wide as
/// `Self` and is a [`State`] too: `bool`, `char` and derived enums.
///
/// The integers use every bit pattern and have no room for `None`; wrap them
/// in a wider integer or an enum instead.
///
/// ```
/// use stateword::Observable;
///
/// // "wait for not none":
/// let peer = Observable::new(None::<char>);
/// peer.set(Some('a'));
/// # futures_lite::future::block_on(async {
/// assert_eq!(peer.wait_for(|p| p.is_some()).await, Some('a'));
/// # });
/// ```
///
/// # Safety
///
/// `Option<Self>` must be exactly as large as `Self` (the compiler puts
/// `None` in a spare bit pattern), so it has no uninitialised bytes.
#[diagnostic::on_unimplemented(
    message = "`Option<{Self}>` is not a `State`: `{Self}` has no spare bit pattern for `None`",
    label = "uses every bit pattern",
    note = "`Option<S>` is a `State` for `bool`, `char` and `#[derive(State)]` enums; \
            for an integer, use a wider integer or an enum with an explicit `None`-like variant"
)]
pub unsafe trait HasSpareRoom: State {}

// SAFETY: `bool` uses 2 of its 256 bit patterns.
unsafe impl HasSpareRoom for bool {}
// SAFETY: `char` uses 0x110000 of its 2^32 bit patterns.
unsafe impl HasSpareRoom for char {}

// SAFETY: `S: HasSpareRoom` puts `None` in a niche of `S` (re-checked at
// compile time by `LAYOUT_OK` before any value is stored), so `Option<S>` is as
// wide as `S` and every byte is initialised in both `None` and `Some`; equality
// follows `S`'s. The index puts `None` first and shifts `S`'s indices by one.
unsafe impl<S: HasSpareRoom> State for Option<S> {
    const VARIANTS: usize = if S::VARIANTS == 0 { 0 } else { S::VARIANTS + 1 };
    type Ledger = OptionLedger<S::Ledger>;
    const LAYOUT_OK: bool =
        S::LAYOUT_OK && core::mem::size_of::<Option<S>>() == core::mem::size_of::<S>();
    #[inline]
    fn index(self) -> usize {
        match self {
            None => 0,
            Some(s) => 1 + s.index(),
        }
    }
    fn from_index(index: usize) -> Self {
        match index {
            0 => None,
            i => Some(S::from_index(i - 1)),
        }
    }
}
