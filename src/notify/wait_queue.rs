//! The heap-free notify list: `maitake_sync::WaitQueue`, an intrusive list
//! whose nodes live inside the pinned wait futures, so a wait allocates
//! nothing. Chosen over a hand-written list because it is maintained,
//! `no_std`, loom-tested upstream and takes a critical section with its
//! `critical-section` feature (turned on by ours).
//!
//! `listen` only creates the node. maitake documents that a `Wait` "is
//! guaranteed to receive wakeups from calls to `wake_all()` as soon as it is
//! created, even if it has not yet been polled": it records the queue's
//! wake-all count when created (a SeqCst load) and completes once the count
//! moved, even before its first poll links it into the list. That is the
//! "every notify after listen is seen" this seam promises, without taking
//! the list's lock to listen.
//!
//! Cancel path: dropping a `Wait` unlinks its node under the lock. The only
//! wakeup a dropped node could swallow is a single `wake()`, which it would
//! hand on; the crate only ever calls `wake_all()`, which wakes every node,
//! so a dropped wait never takes anything another waiter needs.

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use maitake_sync::wait_queue::Wait;
use maitake_sync::WaitQueue;
use pin_project_lite::pin_project;

use crate::sync::loom_const_fn;

/// An `Observable`'s list of listening waiters.
pub(crate) struct NotifyList(WaitQueue);

impl NotifyList {
    loom_const_fn! {
        pub(crate) fn new() -> Self {
            NotifyList(WaitQueue::new())
        }
    }

    pub(crate) fn notify_all(&self) {
        self.0.wake_all();
    }
}

pin_project! {
    /// One waiter's node, pinned inside its wait future.
    pub(crate) struct Listener<'a> {
        #[pin]
        wait: Option<Wait<'a>>,
    }
}

// SAFETY: `Sync` lets `&Listener` cross threads; through `&Listener` the
// crate only calls `is_listening`, which reads the `Option` discriminant and
// never the node (an `UnsafeCell` that only the queue, under its lock, and
// the pinned owner through `&mut` touch). So sharing `&Listener` shares
// nothing that is unsynchronised. (`Send` is automatic.)
unsafe impl Sync for Listener<'_> {}

impl<'a> Listener<'a> {
    pub(crate) const fn new() -> Self {
        Listener { wait: None }
    }

    pub(crate) fn is_listening(&self) -> bool {
        self.wait.is_some()
    }

    pub(crate) fn listen(self: Pin<&mut Self>, list: &'a NotifyList) {
        self.project().wait.set(Some(list.0.wait()));
    }

    pub(crate) fn poll_notified(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut slot = self.project().wait;
        let Some(wait) = slot.as_mut().as_pin_mut() else {
            return Poll::Ready(());
        };
        match wait.poll(cx) {
            Poll::Pending => Poll::Pending,
            // `Err(Closed)` cannot happen: the crate never closes the queue.
            Poll::Ready(_) => {
                slot.set(None);
                Poll::Ready(())
            }
        }
    }

    pub(crate) fn stop(self: Pin<&mut Self>) {
        self.project().wait.set(None);
    }
}
