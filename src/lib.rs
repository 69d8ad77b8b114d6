#![doc = include_str!("../README.md")]
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]

// `Arc`, for subscribers that own their observable. Only with `alloc`: a
// crate graph that links `alloc` at all must have a global allocator.
#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;
// `#[derive(State)]` names `::stateword`: the crate's own tests use it too.
#[cfg(all(test, feature = "derive"))]
extern crate self as stateword;

mod engine;
mod history;
mod initial;
mod ledger;
mod lifecycle;
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

/// Derives [`State`](trait@State) for a fieldless enum.
///
/// The enum needs `Clone`, `Copy` and `PartialEq` too; it may have up to 64
/// variants and explicit discriminants, but no fields and no generics.
///
/// ```
/// use stateword::{Observable, State};
///
/// #[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
/// enum Worker { Idle, Busy, Stopped }
///
/// let worker = Observable::new(Worker::Idle);
/// worker.set(Worker::Busy);
/// assert_eq!(worker.get(), Worker::Busy);
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
    /// Choosing features: std, no_std, the notify backend, portable-atomic,
    /// critical-section.
    pub mod choosing_features {
        #![doc = include_str!("../docs/choosing-features.md")]
    }
}

/// What `#[derive(State)]` expands to refers to these; not public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::initial::{BytesAreEncoding, BytesIf, BytesInitial, InitialOf};
    pub use crate::ledger::{finite_product, Finite, LedgerOf};
    pub use crate::state::{mask, shl, shr};
    pub use crate::word::{bytes_of, excess_bits};
}
