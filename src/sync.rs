//! The only file that names an atomics implementation.
//!
//! Everything else imports `AtomicWord`, `AtomicUsize` and `Ordering` from
//! here, so `--cfg loom` swaps in loom's model-checked atomics and the
//! `portable-atomic` feature swaps in atomics for targets without CAS.

#[cfg(all(not(loom), not(feature = "portable-atomic")))]
use core::sync::atomic as imp;
#[cfg(loom)]
use loom::sync::atomic as imp;
#[cfg(all(not(loom), feature = "portable-atomic"))]
use portable_atomic as imp;

pub(crate) use imp::{AtomicU8, AtomicUsize, Ordering};

/// An `UnsafeCell` reached only through `with_mut`, so that loom can check
/// every access to a notify-list node (loom's own cell under `--cfg loom`).
#[cfg(loom)]
pub(crate) use loom::cell::UnsafeCell;

/// `core::cell::UnsafeCell` with loom's access API.
#[cfg(not(loom))]
#[derive(Debug)]
pub(crate) struct UnsafeCell<T>(core::cell::UnsafeCell<T>);

#[cfg(not(loom))]
impl<T> UnsafeCell<T> {
    pub(crate) const fn new(value: T) -> Self {
        UnsafeCell(core::cell::UnsafeCell::new(value))
    }

    /// Runs `f` on a pointer to the value; what `f` may do through it is
    /// the caller's to justify, as with `core::cell::UnsafeCell::get`.
    #[inline(always)]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        f(self.0.get())
    }
}

// The state word is 64 bits wherever the target has native 64-bit atomics and
// 32 bits elsewhere: a lock-based 64-bit emulation would break the lock-free
// guarantee, a narrower word only shortens the version (see `word.rs`).
#[cfg(not(target_has_atomic = "64"))]
pub(crate) use imp::AtomicU32 as AtomicWord;
#[cfg(target_has_atomic = "64")]
pub(crate) use imp::AtomicU64 as AtomicWord;

#[cfg(all(
    not(loom),
    not(feature = "portable-atomic"),
    not(target_has_atomic = "32")
))]
compile_error!(
    "stateword: this target has no atomic compare-and-swap. Enable the `portable-atomic` \
     feature of stateword, and in your firmware enable `portable-atomic/critical-section` \
     (with a critical-section implementation) or build with \
     `--cfg portable_atomic_unsafe_assume_single_core`."
);

/// Stands between two SeqCst accesses whose store-buffer argument relies on
/// the single total order of SeqCst operations. A no-op in real builds: the
/// SeqCst accesses themselves are enough (and one locked instruction cheaper
/// than a fence on `set`'s fast path; measured 3.2 ns against 4.4 ns per
/// `set` on x86_64). Under loom it is a SeqCst fence, because loom models
/// SeqCst *accesses* as AcqRel (loom's README, "Limitations") and would
/// otherwise report the store-buffer outcome that the total order forbids;
/// fences it models exactly, and they give this pattern the same guarantee.
#[inline(always)]
pub(crate) fn seqcst_order_point() {
    #[cfg(loom)]
    loom::sync::atomic::fence(Ordering::SeqCst);
}

/// The integer held in an [`AtomicWord`].
#[cfg(target_has_atomic = "64")]
pub(crate) type Word = u64;
#[cfg(not(target_has_atomic = "64"))]
pub(crate) type Word = u32;

/// Defines a `const fn` that is a plain `fn` under loom (whose atomics are
/// built at run time, registered with the model), writing the body once;
/// maitake-sync's `loom_const_fn!` is the model.
macro_rules! loom_const_fn {
    ($(#[$attr:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty $body:block) => {
        $(#[$attr])* #[cfg(not(loom))] $vis const fn $name($($arg: $ty),*) -> $ret $body
        $(#[$attr])* #[cfg(loom)] $vis fn $name($($arg: $ty),*) -> $ret $body
    };
}
pub(crate) use loom_const_fn;

/// `[item; N]` of a non-`Copy` item (atomics) in a `const fn`: through a
/// `const` template outside loom, built element by element under loom.
macro_rules! array_of {
    ($item:expr; $ty:ty; $n:expr) => {{
        #[cfg(not(loom))]
        #[allow(clippy::declare_interior_mutable_const)] // copied, never shared
        const ITEM: $ty = $item;
        #[cfg(not(loom))]
        let array = [ITEM; $n];
        #[cfg(loom)]
        let array = core::array::from_fn(|_| $item);
        array
    }};
}
pub(crate) use array_of;

/// The same for an associated constant: declared (in a trait) or defined
/// as `const NAME: T` outside loom and `const NAME: fn() -> T` under loom;
/// `loom_const!(read Type::NAME)` reads either.
macro_rules! loom_const {
    ($(#[$attr:meta])* const $name:ident: $ty:ty $(= $value:expr)?;) => {
        $(#[$attr])* #[cfg(not(loom))] const $name: $ty $(= $value)?;
        $(#[$attr])* #[cfg(loom)] const $name: fn() -> $ty $(= || $value)?;
    };
    (read $constant:expr) => {{
        #[cfg(not(loom))]
        let value = $constant;
        #[cfg(loom)]
        let value = ($constant)();
        value
    }};
}
pub(crate) use loom_const;
