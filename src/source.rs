//! [`Source`]: how a handle holds its observable, borrowed or shared, so
//! that one handle type serves both (`Subscriber<'a>` and
//! `Subscriber<'static>` from an `Arc`, and the same for the other handles).

#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
use alloc::sync::Arc;

use crate::observable::Observable;
use crate::state::State;

/// Where a handle's observable lives: borrowed (a `static`, or a local that
/// outlives the handle) or shared through an `Arc`.
pub(crate) enum Source<'a, S: State, const HISTORY: usize> {
    Borrowed(&'a Observable<S, HISTORY>),
    #[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
    Shared(Arc<Observable<S, HISTORY>>),
}

impl<'a, S: State, const HISTORY: usize> Source<'a, S, HISTORY> {
    pub(crate) fn get(&self) -> &Observable<S, HISTORY> {
        match self {
            Source::Borrowed(observable) => observable,
            #[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
            Source::Shared(observable) => observable,
        }
    }

    /// The observable for all of `'a`, even when shared: for an owned wait,
    /// whose engine borrows the observable that the same value owns.
    ///
    /// # Safety
    ///
    /// The caller keeps this `Source` alive for as long as the reference is
    /// used and drops every holder of the reference first. (Moving the
    /// `Source` is fine: an `Arc`'s allocation does not move with it.)
    pub(crate) unsafe fn extend(&self) -> &'a Observable<S, HISTORY> {
        match self {
            Source::Borrowed(observable) => observable,
            #[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
            // SAFETY: `Arc::as_ptr` points into the allocation that this
            // `Arc` keeps alive; the caller promises the reference is gone
            // before the `Arc` is (the function's contract). Only shared
            // references to the observable ever exist.
            Source::Shared(observable) => unsafe { &*Arc::as_ptr(observable) },
        }
    }
}

impl<S: State, const HISTORY: usize> Clone for Source<'_, S, HISTORY> {
    fn clone(&self) -> Self {
        match self {
            Source::Borrowed(observable) => Source::Borrowed(observable),
            #[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
            Source::Shared(observable) => Source::Shared(Arc::clone(observable)),
        }
    }
}
