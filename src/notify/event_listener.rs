//! The notify list on `event-listener`: an `Event`, and an `EventListener`
//! (a heap entry) per listening waiter. Blocking waits need this backend:
//! `std` turns it on.

use core::future::Future;
use core::marker::{PhantomData, PhantomPinned};
use core::pin::Pin;
use core::task::{Context, Poll};

use event_listener::{Event, EventListener};
use pin_project_lite::pin_project;

use crate::sync::loom_const_fn;

/// An `Observable`'s list of listening waiters.
pub(crate) struct NotifyList(Event);

impl NotifyList {
    loom_const_fn! {
        pub(crate) fn new() -> Self {
            NotifyList(Event::new())
        }
    }

    pub(crate) fn notify_all(&self) {
        self.0.notify(usize::MAX);
    }
}

pin_project! {
    /// One waiter's place in a [`NotifyList`].
    pub(crate) struct Listener<'a> {
        listener: Option<EventListener>,
        // The heap-free backend's listener is `!Unpin`; this one matches it
        // so that no public type's auto traits depend on the backend.
        #[pin]
        _pinned: PhantomPinned,
        _list: PhantomData<&'a NotifyList>,
    }
}

impl<'a> Listener<'a> {
    pub(crate) const fn new() -> Self {
        Listener {
            listener: None,
            _pinned: PhantomPinned,
            _list: PhantomData,
        }
    }

    pub(crate) fn is_listening(&self) -> bool {
        self.listener.is_some()
    }

    pub(crate) fn listen(self: Pin<&mut Self>, list: &'a NotifyList) {
        *self.project().listener = Some(list.0.listen());
    }

    pub(crate) fn poll_notified(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let slot = self.project().listener;
        let Some(listener) = slot else {
            return Poll::Ready(());
        };
        match Pin::new(listener).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(()) => {
                *slot = None;
                Poll::Ready(())
            }
        }
    }

    pub(crate) fn stop(self: Pin<&mut Self>) {
        *self.project().listener = None;
    }

    /// Blocks the thread until notified: `false` if `deadline` passed first.
    #[cfg(all(feature = "std", not(loom)))]
    pub(crate) fn wait_blocking(
        self: Pin<&mut Self>,
        deadline: Option<std::time::Instant>,
    ) -> bool {
        use event_listener::Listener as _;
        let Some(listener) = self.project().listener.take() else {
            return true;
        };
        match deadline {
            None => {
                listener.wait();
                true
            }
            Some(deadline) => listener.wait_deadline(deadline).is_some(),
        }
    }
}
