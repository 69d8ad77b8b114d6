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
//! | feature `event-listener` | backend | a parked waiter costs |
//! |---|---|---|
//! | on (default, implied by `std`) | `event_listener::Event` | one heap entry while listening |
//! | off | `maitake_sync::WaitQueue` | nothing: the node is in the future |
//!
//! Both listeners are `!Unpin` and `Send + Sync`, so a wait future's auto
//! traits do not depend on the backend.

#[cfg(feature = "event-listener")]
#[path = "notify/event_listener.rs"]
mod backend;

#[cfg(not(feature = "event-listener"))]
#[path = "notify/wait_queue.rs"]
mod backend;

pub(crate) use backend::{Listener, NotifyList};
