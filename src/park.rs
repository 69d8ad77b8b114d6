//! Registration and parking, shared by every wait: the waiter count that
//! setters read on their fast path, and the notify-list listener that a woken
//! waiter re-checks after.
//!
//! The protocol, for any condition `check`:
//!
//! 1. check without registering; done if it holds;
//! 2. [`Registration::register`]: count this waiter (SeqCst), then the caller
//!    loads what it checks with SeqCst (the store-buffer argument in
//!    `Observable::transition`);
//! 3. [`park`]: the first call listens, *arms* (sets [`ARMED`] in the waiter
//!    word, SeqCst) and asks for a re-check, so a transition between check
//!    and listen is not lost; later calls poll the listener and ask for a
//!    re-check once it fired. Setters notify only while `ARMED` is set, and
//!    clear it when they do (`Observable::publish`).
//!
//! The listener is the only part that differs between backends
//! (`crate::notify`); it lives pinned in the wait future.

use core::pin::Pin;
use core::task::{Context, Poll};

use crate::notify::Listener;
use crate::observable::Observable;
use crate::state::State;
use crate::sync::Ordering;

/// The top bit of `Observable::waiters`: some waiter listened since the
/// last notify. The low bits count registered waiters.
pub(crate) const ARMED: usize = 1 << (usize::BITS - 1);

/// Whether one waiter is counted in `Observable::waiters`.
#[derive(Debug, Default)]
pub(crate) struct Registration {
    registered: bool,
}

impl Registration {
    pub(crate) const fn new() -> Self {
        Registration { registered: false }
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

    /// Forgets the registration (completion or drop).
    pub(crate) fn unregister<S: State, const N: usize>(&mut self, observable: &Observable<S, N>) {
        if self.registered {
            // Relaxed: the count only lets setters skip work; a late decrement
            // costs a setter one needless notify, never a missed one.
            observable.waiters.fetch_sub(1, Ordering::Relaxed);
            self.registered = false;
        }
    }
}

/// After a failed check: `Ready` means "check again", `Pending` means the
/// task will be woken by the next notify.
fn park<'a, S: State, const N: usize>(
    observable: &'a Observable<S, N>,
    mut listener: Pin<&mut Listener<'a>>,
    cx: &mut Context<'_>,
) -> Poll<()> {
    if listener.is_listening() {
        return listener.poll_notified(cx);
    }
    listener.as_mut().listen(&observable.notify);
    arm(observable);
    Poll::Ready(())
}

/// The async driver of every wait: check, listen, re-check, park, until
/// `check` finds something. `check` also forgets the registration when it
/// does; the listener is stopped here.
pub(crate) fn poll_until<'a, S: State, const N: usize, T>(
    observable: &'a Observable<S, N>,
    mut listener: Pin<&mut Listener<'a>>,
    cx: &mut Context<'_>,
    mut check: impl FnMut() -> Option<T>,
) -> Poll<T> {
    loop {
        if let Some(found) = check() {
            listener.stop();
            return Poll::Ready(found);
        }
        if park(observable, listener.as_mut(), cx).is_pending() {
            return Poll::Pending;
        }
    }
}

/// The blocking form of [`park`]: returns `false` if `deadline` passed
/// first.
#[cfg(all(feature = "std", not(loom)))]
pub(crate) fn park_blocking<'a, S: State, const N: usize>(
    observable: &'a Observable<S, N>,
    mut listener: Pin<&mut Listener<'a>>,
    deadline: Option<std::time::Instant>,
) -> bool {
    if listener.is_listening() {
        return listener.wait_blocking(deadline);
    }
    listener.as_mut().listen(&observable.notify);
    arm(observable);
    true
}

/// Tells setters that a listener is waiting; the caller re-checks next, with
/// SeqCst loads (the argument at `Observable::publish`).
fn arm<S: State, const N: usize>(observable: &Observable<S, N>) {
    observable.waiters.fetch_or(ARMED, Ordering::SeqCst);
    crate::sync::seqcst_order_point();
}
