#![doc = include_str!("../README.md")]
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]

// `Arc`, for subscribers that own their observable. Only with `alloc`: a
// crate graph that links `alloc` at all must have a global allocator.
#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
extern crate alloc;
#[cfg(any(feature = "std", test))]
extern crate std;
// `#[derive(State)]` names `::stateword`: the crate's own tests use it too.
#[cfg(all(test, feature = "derive"))]
extern crate self as stateword;

mod engine;
mod history;
mod initial;
mod ledger;
mod lifecycle;
mod list_lock;
mod notify;
mod observable;
#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
mod owned;
mod source;
mod state;
mod subscriber;
mod sync;
mod until;
mod wait;
mod waiters;
mod watcher;
mod word;

#[cfg(all(feature = "std", not(loom)))]
mod blocking;

pub use crate::history::{Lagged, Transition};
pub use crate::initial::{InitialSlot, LazyInitial};
pub use crate::ledger::{Ledger, NoLedger, VariantLedger};
pub use crate::lifecycle::SetOnDrop;
pub use crate::observable::Observable;
#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
pub use crate::owned::{OwnedChanged, OwnedWaitFor, OwnedWaitUntil};
pub use crate::state::State;
pub use crate::subscriber::{Changes, IntoChanges, IntoTransitions, NextTransition};
pub use crate::subscriber::{Subscriber, SubscriberChanged, Transitions};
pub use crate::until::{StateStream, Until};
pub use crate::wait::{Changed, WaitFor, WaitForSome, WaitUntil};
#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
pub use crate::watcher::OwnedWatcher;
pub use crate::watcher::Watcher;

/// Derives [`State`](trait@State) for an enum or a struct.
///
/// The type needs `Clone`, `Copy` and `PartialEq` too, and no generics.
///
/// * **Enums** of up to 64 variants. Variants may carry fields (named or
///   tuple) that are themselves states; the encoding is the variant's number
///   and then its fields, so it is as wide as the widest variant. Each enum
///   variant is a ledger variant: a wait never misses an entry into it and
///   returns the entry with its data. A fieldless enum with its default
///   discriminants is stored as its bytes, so `Observable::new` costs nothing
///   at run time; other shapes are encoded at the first access.
/// * **Structs** (named, tuple, unit) whose fields are states: the fields'
///   encodings side by side. *Finite*, with one ledger variant per value
///   (every predicate exact), when every field is finite and together they
///   have at most 64 values; otherwise level-triggered, like the integers.
///   `#[state(finite)]` makes "not finite" a compile error.
///
/// An encoding wider than the state word allows on the target (48 bits
/// with 64-bit atomics, 16 without) is a compile error at the type that
/// says by how many bits.
///
/// ```
/// use stateword::{Observable, State};
///
/// #[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
/// enum Worker { Idle, Busy { job: u16 }, Stopped }
///
/// #[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
/// #[state(finite)]
/// struct Link { up: bool, duplex: bool }
///
/// let worker = Observable::new(Worker::Idle);
/// worker.set(Worker::Busy { job: 7 });
/// assert_eq!(worker.get(), Worker::Busy { job: 7 });
/// assert_eq!(Worker::BITS, 2 + 16);
/// assert_eq!(Link::VARIANTS, 4);
/// ```
///
/// ```compile_fail
/// use stateword::State;
///
/// // 10 × 10 values: too many to be finite.
/// #[derive(Clone, Copy, PartialEq, State)]
/// enum Digit { D0, D1, D2, D3, D4, D5, D6, D7, D8, D9 }
///
/// #[derive(Clone, Copy, PartialEq, State)]
/// #[state(finite)]
/// struct Score { home: Digit, away: Digit }
/// ```
#[cfg(feature = "derive")]
#[cfg_attr(docsrs, doc(cfg(feature = "derive")))]
pub use stateword_derive::State;

/// Guides: moving from other tools, and picking features.
pub mod guide {
    /// Coming from `tokio::sync::watch`: the method-by-method mapping.
    pub mod from_tokio_watch {
        #![doc = include_str!("../docs/from-tokio-watch.md")]
    }
    /// Coming from asyncio: ValueWatcher, Condition and Event patterns.
    pub mod from_asyncio {
        #![doc = include_str!("../docs/from-asyncio.md")]
    }
    /// Choosing features: std, no_std, the one notify list, portable-atomic,
    /// critical-section.
    pub mod choosing_features {
        #![doc = include_str!("../docs/choosing-features.md")]
    }
}

/// What `#[derive(State)]` expands to refers to these; not public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::initial::{BytesAreEncoding, BytesInitial};
    pub use crate::ledger::{finite_product, Finite, LedgerOf};
    pub use crate::state::{mask, shl, shr};
    pub use crate::word::{bytes_of, excess_bits};
}
