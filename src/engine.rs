//! The one wait engine: every wait future, subscriber future and stream,
//! and the blocking waits, run on [`Engine`]. Waits differ only in what they
//! look for, a [`Check`] (`wait.rs`: ledger, ring and word; `subscriber.rs`:
//! a cursor). The engine owns the rest: the registration, the listener pinned
//! inside the future, the handshake's order (`waiters.rs`) and the cancel
//! path: dropping an engine at any point unregisters and drops its listener,
//! and consumes no notification another waiter needs (setters notify every
//! listener, there is nothing to hand on).

use core::fmt;
use core::marker::PhantomData;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use pin_project_lite::pin_project;

use crate::notify::{Listener, NotifyList};
use crate::waiters::Waiters;

/// The observable a wait is on: apart from [`Check`], so that dropping an
/// engine asks nothing of the predicate's type.
pub(crate) trait OnObservable<'a> {
    /// The waiters of the observable this wait is on.
    fn waiters(&self) -> &'a Waiters;
}

/// What one wait looks for.
pub(crate) trait Check<'a>: OnObservable<'a> {
    /// What the wait returns.
    type Output;

    /// Looks for what the wait waits for: once before the engine registers
    /// (any ordering will do), then after, when every load of the state
    /// word, the ledger or the ring is SeqCst (W3 in `waiters.rs`).
    fn check(&mut self) -> Option<Self::Output>;

    /// Publishes where this wait's window starts, if it looks in the
    /// ledger (`ledger::publish_window`). Called once, as the wait
    /// registers, under the notify list's lock (W1 in `waiters.rs`).
    fn publish_window(&self) {}
}

pin_project! {
    /// A [`Check`] and its listener. The wait is registered (counted in
    /// [`Waiters`]) from its first listen until it finishes: the listener's
    /// [`has_listened`](Listener::has_listened) says so, which keeps the
    /// future a word smaller than a guard would. `!Unpin`: the notify list
    /// links the listener's node, inside it.
    #[project = EngineProj]
    pub(crate) struct Engine<'a, C: OnObservable<'a>> {
        check: C,
        #[pin]
        listener: Listener,
        _waiters: PhantomData<&'a Waiters>,
    }

    impl<'a, C: OnObservable<'a>> PinnedDrop for Engine<'a, C> {
        /// The cancel path: unregisters and unlinks, wherever the wait was.
        fn drop(this: Pin<&mut Self>) {
            this.project().finish();
        }
    }
}

impl<'a, C: OnObservable<'a>> Engine<'a, C> {
    pub(crate) fn new(check: C) -> Self {
        Engine {
            check,
            listener: Listener::new(),
            _waiters: PhantomData,
        }
    }
}

impl<'a, C: Check<'a>> Engine<'a, C> {
    /// The async driver. After `Ready`, polling again starts a new wait
    /// (streams do).
    pub(crate) fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<C::Output> {
        let waker = cx.waker();
        self.drive(waker, |listener, list, fresh| {
            // Fresh: linked with this very waker a moment ago, so pending
            // without asking the list again.
            !fresh && listener.poll_notified(list, waker).is_ready()
        })
        .map_or(Poll::Pending, Poll::Ready)
    }

    /// The blocking driver: as `poll`, parking the thread. `None` if
    /// `deadline` passed first.
    #[cfg(all(feature = "std", not(loom)))]
    pub(crate) fn wait_blocking(
        mut self: Pin<&mut Self>,
        deadline: Option<std::time::Instant>,
    ) -> Option<C::Output> {
        let waker = crate::notify::thread_waker();
        self.as_mut()
            .drive(&waker, |listener, _, _| listener.wait_blocking(deadline))
            // Timed out: one last look, for a transition that raced with
            // the deadline.
            .or_else(|| self.project().look())
    }

    /// Looks until found, or until `park` (on a listening listener, with
    /// the list, and `true` if it listened with `waker` since the last
    /// look) returns `false` rather than `true` for "notified": pending, or
    /// timed out.
    fn drive(
        self: Pin<&mut Self>,
        waker: &Waker,
        mut park: impl FnMut(Pin<&mut Listener>, &'a NotifyList, bool) -> bool,
    ) -> Option<C::Output> {
        let mut this = self.project();
        let waiters = this.check.waiters();
        let mut fresh = false;
        loop {
            if let Some(found) = this.look() {
                return Some(found);
            }
            if !this.listener.is_listening() {
                // W1 and W2, then W3 is the next look.
                let check = &*this.check;
                // SAFETY: it is not listening (just checked); every call on
                // this listener passes this observable's list (`waiters` of
                // the one check); and `finish`, which the drop of this
                // pinned engine runs, stops it before it drops.
                unsafe {
                    waiters.listen_and_arm(this.listener.as_mut(), waker, || check.publish_window())
                };
                fresh = true;
            } else if !park(
                this.listener.as_mut(),
                waiters.list(),
                core::mem::take(&mut fresh),
            ) {
                return None;
            }
        }
    }
}

impl<'a, C: Check<'a>> EngineProj<'_, 'a, C> {
    /// Looks; finishes the wait when found.
    fn look(&mut self) -> Option<C::Output> {
        let found = self.check.check()?;
        self.finish();
        Some(found)
    }
}

impl<'a, C: OnObservable<'a>> EngineProj<'_, 'a, C> {
    /// Unregisters and stops listening, if the wait had registered: the
    /// wait is over (completed, or dropped).
    fn finish(&mut self) {
        if self.listener.has_listened() {
            let waiters = self.check.waiters();
            self.listener.as_mut().stop(waiters.list());
            waiters.unregister();
        }
    }
}

impl<'a, C: OnObservable<'a>> fmt::Debug for Engine<'a, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("registered", &self.listener.has_listened())
            .field("listening", &self.listener.is_listening())
            .finish()
    }
}

/// Declares a public future (or stream) over an [`Engine`] whose check
/// returns `$out` (a stream's items are `Some` of it), or what `map` makes
/// of it.
/// An optional second field (a marker, or what owns the observable the
/// engine borrows) drops after the engine: fields drop in declaration order. The crate's one hand-written pin projection, written once
/// here: pin-project-lite cannot parse const generics
/// (taiki-e/pin-project-lite#62), and every public wait type has `HISTORY`.
macro_rules! engine_newtype {
    (
        $(#[$attr:meta])*
        pub struct $name:ident<$($param:tt),*>($engine:ty $(, $marker:ty)?)
        where [$($impl_generics:tt)*] [$($decl_generics:tt)*];
        impl $kind:ident -> $out:ty $(, map $map:expr)?;
    ) => {
        $(#[$attr])*
        pub struct $name<$($decl_generics)*>(
            pub(crate) $engine,
            // Kept for its drop (or its type): read through field 0 only.
            $(#[allow(dead_code)] $marker)?
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

        // pin-project-lite's guard: fails to compile if `$name` has a `Drop`.
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

        $crate::engine::engine_newtype!(
            @$kind $name [$($impl_generics)*] [$($param),*] $out, [$(.map($map))?]
        );
    };
    (@Future $name:ident [$($impl_generics:tt)*] [$($param:tt),*] $out:ty, [$($map:tt)*]) => {
        impl<$($impl_generics)*> core::future::Future for $name<$($param),*> {
            type Output = $out;

            fn poll(self: core::pin::Pin<&mut Self>, cx: &mut core::task::Context<'_>) -> core::task::Poll<$out> {
                self.engine().poll(cx)$($map)*
            }
        }
    };
    (@Stream $name:ident [$($impl_generics:tt)*] [$($param:tt),*] $out:ty, []) => {
        $crate::engine::engine_newtype!(@Stream $name [$($impl_generics)*] [$($param),*] $out, [.map(Some)]);
    };
    (@Stream $name:ident [$($impl_generics:tt)*] [$($param:tt),*] $out:ty, [$($map:tt)+]) => {
        impl<$($impl_generics)*> futures_core::Stream for $name<$($param),*> {
            type Item = $out;

            fn poll_next(
                self: core::pin::Pin<&mut Self>,
                cx: &mut core::task::Context<'_>,
            ) -> core::task::Poll<Option<$out>> {
                self.engine().poll(cx)$($map)+
            }
        }
    };
}
pub(crate) use engine_newtype;
