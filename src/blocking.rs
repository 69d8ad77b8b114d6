//! Blocking waits for plain threads (`std` only).

use std::time::{Duration, Instant};

use crate::observable::Observable;
use crate::state::State;
use crate::wait::{Mode, StateCheck};

impl<S: State, const HISTORY: usize> Observable<S, HISTORY> {
    /// Blocks the current thread until the state satisfies `predicate`, with
    /// the guarantees of [`wait_for`](Self::wait_for), and returns the matched
    /// value.
    ///
    /// Do not call this from an async task: it parks the whole thread.
    ///
    /// ```
    /// use stateword::Observable;
    ///
    /// static DONE: Observable<bool> = Observable::new(false);
    ///
    /// let worker = std::thread::spawn(|| DONE.set(true));
    /// assert!(DONE.wait_for_blocking(|done| done));
    /// worker.join().unwrap();
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn wait_for_blocking(&self, predicate: impl FnMut(S) -> bool) -> S {
        core::pin::pin!(StateCheck::engine(self, predicate, Mode::Level))
            .wait_blocking(None)
            .expect("stateword: a wait without a deadline cannot time out")
    }

    /// Like [`wait_for_blocking`](Self::wait_for_blocking), giving up after
    /// `timeout`: returns `None` if no matching value was seen by then.
    ///
    /// ```
    /// use std::time::Duration;
    /// use stateword::Observable;
    ///
    /// let level = Observable::new(0u8);
    /// assert_eq!(level.wait_for_timeout(|n| n > 5, Duration::from_millis(10)), None);
    /// level.set(6);
    /// assert_eq!(level.wait_for_timeout(|n| n > 5, Duration::from_millis(10)), Some(6));
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "std")))]
    pub fn wait_for_timeout(
        &self,
        predicate: impl FnMut(S) -> bool,
        timeout: Duration,
    ) -> Option<S> {
        // A timeout too large for `Instant` means "never".
        let deadline = Instant::now().checked_add(timeout);
        core::pin::pin!(StateCheck::engine(self, predicate, Mode::Level)).wait_blocking(deadline)
    }
}
