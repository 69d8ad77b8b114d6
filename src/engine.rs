//! The one wait engine: every wait future, subscriber future and stream,
//! and the blocking waits, run on [`Engine`].
//!
//! What differs between waits is what they look for, a [`Check`]: the
//! observable's waits look at the ledger, the ring and the word (`wait.rs`),
//! a subscriber's at its cursor (`subscriber.rs`). The engine owns the rest:
//! the registration, the listener pinned inside the future, the order of
//! look, register, look, listen-and-arm, look, park (the handshake in
//! `waiters.rs`), and the cancel path.
//!
//! Cancel safety: dropping an engine at any point unregisters (its
//! [`Registered`] guard) and drops its listener. It never consumes a notification another waiter needs: setters
//! notify every listener, there is nothing to hand on.

use core::fmt;
use core::pin::Pin;
use core::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::notify::Listener;
use crate::waiters::{Registered, Waiters};

/// What one wait looks for.
pub(crate) trait Check<'a> {
    /// What the wait returns.
    type Output;

    /// The waiters of the observable this wait is on.
    fn waiters(&self) -> &'a Waiters;

    /// Looks for what the wait waits for. `registered` is false on the
    /// first look, before the engine registers (any ordering will do), and
    /// true after: then every load of the state word, the ledger or the ring
    /// is SeqCst (W2 and W4 in `waiters.rs`).
    fn check(&mut self, registered: bool) -> Option<Self::Output>;
}

pin_project! {
    /// A [`Check`], its registration and its listener. `!Unpin`: the
    /// heap-free backend links the listener's node into the list.
    #[project = EngineProj]
    pub(crate) struct Engine<'a, C> {
        check: C,
        // Dropping it unregisters: the cancel path.
        registered: Option<Registered<'a>>,
        #[pin]
        listener: Listener<'a>,
    }
}

impl<C> Engine<'_, C> {
    pub(crate) const fn new(check: C) -> Self {
        Engine {
            check,
            registered: None,
            listener: Listener::new(),
        }
    }
}

impl<'a, C: Check<'a>> Engine<'a, C> {
    /// The async driver. After `Ready`, polling again starts a new wait
    /// (streams do).
    pub(crate) fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<C::Output> {
        let mut this = self.project();
        loop {
            if let Some(found) = this.look() {
                return Poll::Ready(found);
            }
            if this.listener.is_listening() {
                if this.listener.as_mut().poll_notified(cx).is_pending() {
                    return Poll::Pending;
                }
            } else {
                let waiters = this.check.waiters();
                waiters.listen_and_arm(this.listener.as_mut());
            }
        }
    }

    /// The blocking driver: as `poll`, parking the thread. `None` if
    /// `deadline` passed first.
    #[cfg(all(feature = "std", not(loom)))]
    pub(crate) fn wait_blocking(
        self: Pin<&mut Self>,
        deadline: Option<std::time::Instant>,
    ) -> Option<C::Output> {
        let mut this = self.project();
        loop {
            if let Some(found) = this.look() {
                return Some(found);
            }
            if this.listener.is_listening() {
                if !this.listener.as_mut().wait_blocking(deadline) {
                    // Timed out: one last look, for a transition that raced
                    // with the deadline.
                    let found = this.check.check(true);
                    this.finish();
                    return found;
                }
            } else {
                let waiters = this.check.waiters();
                waiters.listen_and_arm(this.listener.as_mut());
            }
        }
    }
}

impl<'a, C: Check<'a>> EngineProj<'_, 'a, C> {
    /// Looks, registering after a first look that found nothing (W1, then
    /// W2 at once); finishes the wait when found.
    fn look(&mut self) -> Option<C::Output> {
        loop {
            if let Some(found) = self.check.check(self.registered.is_some()) {
                self.finish();
                return Some(found);
            }
            if self.registered.is_some() {
                return None;
            }
            *self.registered = Some(self.check.waiters().register());
        }
    }

    /// Unregisters and stops listening: the wait is over.
    fn finish(&mut self) {
        *self.registered = None;
        self.listener.as_mut().stop();
    }
}

impl<C: fmt::Debug> fmt::Debug for Engine<'_, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("check", &self.check)
            .field("registered", &self.registered.is_some())
            .field("listener", &self.listener)
            .finish()
    }
}

/// Declares a public future or stream that is a newtype over an [`Engine`],
/// with `engine(self: Pin<&mut Self>)` projecting to it.
///
/// The one hand-written pin projection in the crate, written once here:
/// pin-project-lite cannot parse const generics (taiki-e/pin-project-lite#62),
/// and every public wait type carries the observable's `HISTORY`.
macro_rules! engine_newtype {
    (
        $(#[$attr:meta])*
        pub struct $name:ident<$($param:tt),*> ($engine:ty $(, $marker:ty)?)
        where [$($impl_generics:tt)*] [$($decl_generics:tt)*];
    ) => {
        $(#[$attr])*
        pub struct $name<$($decl_generics)*>(
            pub(crate) $engine,
            $($marker)?
        );

        impl<$($impl_generics)*> $name<$($param),*> {
            fn engine(self: core::pin::Pin<&mut Self>) -> core::pin::Pin<&mut $engine> {
                // SAFETY: structural pinning of field 0, the engine: this type
                // has no `Drop` impl (the impl below would conflict with one),
                // is `Unpin` only if the engine is (auto trait), is not
                // `repr(packed)`, and no code moves field 0 out of a pinned
                // value: this is the only access to it through a `Pin`.
                unsafe { self.map_unchecked_mut(|this| &mut this.0) }
            }
        }

        // Fails to compile if `$name` implements `Drop`, which could move
        // the pinned engine (pin-project-lite's guard).
        const _: () = {
            #[allow(dead_code)] // only its impls matter
            trait MustNotImplDrop {}
            #[allow(drop_bounds)]
            impl<T: Drop> MustNotImplDrop for T {}
            impl<$($impl_generics)*> MustNotImplDrop for $name<$($param),*> {}
        };

        impl<$($impl_generics)*> core::fmt::Debug for $name<$($param),*> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.0).finish()
            }
        }
    };
}
pub(crate) use engine_newtype;
