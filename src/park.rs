//! Registration and parking, shared by every wait: the waiter count that
//! setters read on their fast path, and the event-listener entry that a woken
//! waiter re-checks after.
//!
//! The protocol, for any condition `check`:
//!
//! 1. check without registering; done if it holds;
//! 2. [`Parker::register`]: count this waiter (SeqCst), then the caller loads
//!    what it checks with SeqCst (the store-buffer argument in
//!    `Observable::transition`);
//! 3. [`Parker::park`]: the first call listens, *arms* (sets [`ARMED`] in
//!    the waiter word, SeqCst) and asks for a re-check, so a transition
//!    between check and listen is not lost; later calls poll the listener and
//!    ask for a re-check once it fired. Setters notify only while `ARMED` is
//!    set, and clear it when they do (`Observable::publish`).

use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use event_listener::EventListener;

use crate::observable::Observable;
use crate::state::State;
use crate::sync::Ordering;

/// The top bit of `Observable::waiters`: some waiter listened since the
/// last notify. The low bits count registered waiters.
pub(crate) const ARMED: usize = 1 << (usize::BITS - 1);

/// One waiter's registration.
#[derive(Debug, Default)]
pub(crate) struct Parker {
    registered: bool,
    listener: Option<EventListener>,
}

impl Parker {
    pub(crate) const fn new() -> Self {
        Parker {
            registered: false,
            listener: None,
        }
    }

    pub(crate) fn is_registered(&self) -> bool {
        self.registered
    }

    /// Counts this waiter; the caller must then load the state with SeqCst.
    pub(crate) fn register<S: State, const N: usize>(&mut self, observable: &Observable<S, N>) {
        if !self.registered {
            observable.waiters.fetch_add(1, Ordering::SeqCst);
            crate::sync::seqcst_order_point();
            self.registered = true;
        }
    }

    /// Forgets the registration and the listener (completion or drop).
    pub(crate) fn unregister<S: State, const N: usize>(&mut self, observable: &Observable<S, N>) {
        if self.registered {
            // Relaxed: the count only lets setters skip work; a late decrement
            // costs a setter one needless notify, never a missed one.
            observable.waiters.fetch_sub(1, Ordering::Relaxed);
            self.registered = false;
        }
        self.listener = None;
    }

    /// After a failed check: `Ready` means "check again", `Pending` means the
    /// task will be woken by the next notify.
    pub(crate) fn park<S: State, const N: usize>(
        &mut self,
        observable: &Observable<S, N>,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        match &mut self.listener {
            None => {
                self.listener = Some(observable.event.listen());
                arm(observable);
                Poll::Ready(())
            }
            Some(listener) => match Pin::new(listener).poll(cx) {
                Poll::Pending => Poll::Pending,
                Poll::Ready(()) => {
                    self.listener = None;
                    Poll::Ready(())
                }
            },
        }
    }

    /// The blocking form of [`park`](Self::park): returns `false` if
    /// `deadline` passed first.
    #[cfg(all(feature = "std", not(loom)))]
    pub(crate) fn park_blocking<S: State, const N: usize>(
        &mut self,
        observable: &Observable<S, N>,
        deadline: Option<std::time::Instant>,
    ) -> bool {
        use event_listener::Listener as _;
        match self.listener.take() {
            None => {
                self.listener = Some(observable.event.listen());
                arm(observable);
                true
            }
            Some(listener) => match deadline {
                None => {
                    listener.wait();
                    true
                }
                Some(deadline) => listener.wait_deadline(deadline).is_some(),
            },
        }
    }
}

/// Tells setters that a listener is waiting; the caller re-checks next, with
/// SeqCst loads (the argument at `Observable::publish`).
fn arm<S: State, const N: usize>(observable: &Observable<S, N>) {
    observable.waiters.fetch_or(ARMED, Ordering::SeqCst);
    crate::sync::seqcst_order_point();
}
