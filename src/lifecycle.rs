//! A lifecycle's end: [`SetOnDrop`], the guard that sets a terminal state
//! when its owner is done, returns or unwinds ("closed is a state", where a
//! watch channel closes when its sender is dropped).

use core::fmt;

#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
use alloc::sync::Arc;

use crate::observable::Observable;
use crate::source::Source;
use crate::state::State;

/// Sets a terminal state when dropped: from
/// [`Observable::set_on_drop`] or [`Observable::set_on_drop_owned`].
///
/// Keep it in the task or thread that drives the lifecycle. However that
/// owner ends (it returns, is cancelled, or panics and unwinds), the guard
/// sets the terminal state, so every waiter for it is released and no
/// watcher hangs on a producer that is gone. [`disarm`](Self::disarm) lets
/// it go without setting anything (a clean hand-over to another owner).
///
/// ```
/// use stateword::{Observable, State};
///
/// #[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
/// enum Worker { Starting, Running, Stopped }
///
/// static WORKER: Observable<Worker> = Observable::new(Worker::Starting);
///
/// let worker = std::thread::spawn(|| {
///     let _stopped = WORKER.set_on_drop(Worker::Stopped);
///     WORKER.set(Worker::Running);
///     panic!("the worker fails"); // unwinding drops the guard
/// });
/// assert!(worker.join().is_err());
/// assert_eq!(WORKER.get(), Worker::Stopped);
/// ```
#[must_use = "dropping the guard sets the terminal state at once"]
pub struct SetOnDrop<'a, S: State, const HISTORY: usize = 0> {
    source: Source<'a, S, HISTORY>,
    /// `None` once disarmed.
    terminal: Option<S>,
}

impl<S: State, const HISTORY: usize> Observable<S, HISTORY> {
    /// A guard that sets `terminal` when it is dropped, unless
    /// [disarmed](SetOnDrop::disarm).
    ///
    /// ```
    /// let open = stateword::Observable::new(true);
    /// {
    ///     let _closes = open.set_on_drop(false);
    ///     assert!(open.get());
    /// }
    /// assert!(!open.get());
    /// ```
    pub fn set_on_drop(&self, terminal: S) -> SetOnDrop<'_, S, HISTORY> {
        SetOnDrop {
            source: Source::Borrowed(self),
            terminal: Some(terminal),
        }
    }

    /// As [`set_on_drop`](Self::set_on_drop), owning a share of the
    /// observable: `'static`, for the task that drives the lifecycle.
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let open = Arc::new(stateword::Observable::new(true));
    /// let closes = open.clone().set_on_drop_owned(false);
    /// std::thread::spawn(move || drop(closes)).join().unwrap();
    /// assert!(!open.get());
    /// ```
    #[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
    #[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
    pub fn set_on_drop_owned(self: Arc<Self>, terminal: S) -> SetOnDrop<'static, S, HISTORY> {
        SetOnDrop {
            source: Source::Shared(self),
            terminal: Some(terminal),
        }
    }
}

impl<S: State, const HISTORY: usize> SetOnDrop<'_, S, HISTORY> {
    /// Lets the guard go without setting anything.
    ///
    /// ```
    /// let open = stateword::Observable::new(true);
    /// open.set_on_drop(false).disarm();
    /// assert!(open.get());
    /// ```
    pub fn disarm(mut self) {
        self.terminal = None;
    }

    /// The observable the guard will set.
    ///
    /// ```
    /// let open = stateword::Observable::new(true);
    /// let guard = open.set_on_drop(false);
    /// assert!(std::ptr::eq(guard.observable(), &open));
    /// # guard.disarm();
    /// ```
    pub fn observable(&self) -> &Observable<S, HISTORY> {
        self.source.get()
    }
}

impl<S: State, const HISTORY: usize> Drop for SetOnDrop<'_, S, HISTORY> {
    fn drop(&mut self) {
        if let Some(terminal) = self.terminal.take() {
            self.source.get().set(terminal);
        }
    }
}

impl<S: State + fmt::Debug, const HISTORY: usize> fmt::Debug for SetOnDrop<'_, S, HISTORY> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SetOnDrop")
            .field("terminal", &self.terminal)
            .finish_non_exhaustive()
    }
}
