//! Where `Observable::new` keeps the initial value until it is encoded.
//!
//! `Observable::new` is a `const fn`, so a `static` observable cannot call
//! `State::encode` (trait methods do not run at compile time). A state
//! whose bytes *are* its encoding (the integers, `bool`, `char`, fieldless
//! enums with their default discriminants) is stored as its bytes, and keeps
//! nothing else: [`BytesInitial`], zero-sized. Any other state starts as a
//! word that says "the initial value, not yet encoded", and keeps the value
//! next to the word in a [`LazyInitial`] until the first access encodes it
//! (`word.rs`).
//!
//! The choice is an associated type, `State::Initial`, so a state that does
//! not need the value pays no space for it: `Observable<Conn>` stays a
//! cache line.

use crate::state::State;

/// Where an observable keeps its initial value until the first access
/// encodes it; see [`State::Initial`](crate::State::Initial).
///
/// Sealed: [`LazyInitial<S>`] keeps the value; a zero-sized type, picked by
/// the derive and the built-in states, keeps nothing.
///
/// ```
/// use stateword::{InitialSlot, LazyInitial, State};
///
/// assert!(<LazyInitial<Option<u8>> as InitialSlot<Option<u8>>>::KEEPS_VALUE);
/// assert!(!<<u8 as State>::Initial as InitialSlot<u8>>::KEEPS_VALUE);
/// ```
pub trait InitialSlot<S>: Copy + Send + Sync + 'static + sealed::Sealed {
    /// Whether the value is kept here (and encoded at the first access);
    /// if not, `Observable::new` stores its bytes.
    const KEEPS_VALUE: bool;

    /// The kept value.
    #[doc(hidden)]
    fn value(self) -> S;
}

mod sealed {
    pub trait Sealed {}
    impl<S> Sealed for super::LazyInitial<S> {}
    impl Sealed for super::BytesInitial {}
}

/// Keeps the initial value until the first access encodes it: the
/// [`State::Initial`](crate::State::Initial) of every state whose bytes are
/// not its encoding, and of hand-written impls.
///
/// ```
/// use stateword::{LazyInitial, State};
///
/// fn keeps<S: State<Initial = LazyInitial<S>>>() {}
/// keeps::<Option<u16>>();
/// ```
#[derive(Clone, Copy, Debug)]
pub struct LazyInitial<S>(S);

impl<S: State> InitialSlot<S> for LazyInitial<S> {
    const KEEPS_VALUE: bool = true;
    #[inline]
    fn value(self) -> S {
        self.0
    }
}

/// Keeps nothing: `Observable::new` stores the value's bytes, which are its
/// encoding. Only for [`BytesAreEncoding`] states.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub struct BytesInitial;

impl<S: BytesAreEncoding> InitialSlot<S> for BytesInitial {
    const KEEPS_VALUE: bool = false;
    fn value(self) -> S {
        unreachable!("stateword: a state stored as its bytes keeps no initial value")
    }
}

/// A state whose bytes are its encoding, so `Observable::new` can store
/// them at compile time and the word decodes by reading them back.
///
/// # Safety
///
/// The type is at most 8 bytes and every byte of every value is
/// initialised (no padding). For every value `v`, its bytes read as a
/// little-endian integer are `v.encode()`, below `2^BITS`; and 0 is the
/// encoding of a value. So every value bit pattern the crate stores (an
/// encoding, or 0 in an empty ledger slot or ring cell) is the bytes of a
/// valid value.
#[doc(hidden)]
pub unsafe trait BytesAreEncoding: State {}

/// The `S::Initial` for `initial`: the value itself, or nothing.
pub(crate) const fn slot_for<S: State>(initial: S) -> S::Initial {
    union Cast<S: Copy, I: Copy> {
        lazy: LazyInitial<S>,
        slot: I,
    }
    // SAFETY: `InitialSlot` is sealed, and `S::Initial: InitialSlot<S>` holds
    // for two types only: `LazyInitial<S>` itself (the bytes written are read
    // back as the same type), or the zero-sized `BytesInitial` (reading no
    // bytes is always valid).
    unsafe {
        Cast::<S, S::Initial> {
            lazy: LazyInitial(initial),
        }
        .slot
    }
}
