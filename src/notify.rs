//! The notify list: the one place the two backends differ.
//!
//! Everything else (the state word, the ledger, the history ring, the waiter
//! count and the wait logic) is written once against this seam:
//!
//! * [`NotifyList`] lives in the `Observable`; `notify_all` wakes every
//!   listener.
//! * [`Listener`] lives inside a pinned wait future. `listen` starts
//!   listening: every `notify_all` that begins after `listen` returns is seen
//!   by the next `poll_notified`. A listener that saw its notification, or
//!   is stopped, stops listening.
//!
//! | features | backend | a parked waiter costs |
//! |---|---|---|
//! | `event-listener` (default, implied by `std`), with or without `heap-free` | `event_listener::Event` | one heap entry while listening |
//! | `heap-free` alone | `maitake_sync::WaitQueue` | nothing: the node is in the future |
//! | neither | a compile error that names both | |
//!
//! Features are additive, so when a dependency graph enables both,
//! event-listener wins: always correct, only heavier.
//!
//! Both listeners are `!Unpin` and `Send + Sync`, so a wait future's auto
//! traits do not depend on the backend.

#[cfg(feature = "event-listener")]
#[path = "notify/event_listener.rs"]
mod backend;

#[cfg(all(feature = "heap-free", not(feature = "event-listener")))]
#[path = "notify/wait_queue.rs"]
mod backend;

#[cfg(not(any(feature = "event-listener", feature = "heap-free")))]
compile_error!(
    "stateword needs a notify backend: enable the `std` feature (the default) or \
     `event-listener` where there is a heap (one small allocation per parked wait), \
     or `heap-free` for firmware without an allocator (the wait futures hold their \
     list nodes). With `default-features = false`, add one of them to `features`."
);

#[cfg(any(feature = "event-listener", feature = "heap-free"))]
pub(crate) use backend::{Listener, NotifyList};
