//! Read-only views of an observable, for a library that exposes state it
//! alone may change: [`Watcher`] (borrowed, `Copy`) and [`OwnedWatcher`]
//! (an `Arc` share, `Clone`, `'static`). They get, wait and subscribe; they
//! cannot set.

use core::fmt;

#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
use alloc::sync::Arc;

use crate::observable::Observable;
use crate::state::State;
use crate::subscriber::Subscriber;
use crate::wait::{Changed, WaitFor, WaitForSome, WaitUntil};

/// A read-only view of an [`Observable`]: from [`Observable::watcher`].
///
/// `Copy`: hand it out freely. Its waits and subscribers borrow the
/// observable, not the watcher, so they live as long as the observable.
///
/// ```
/// use stateword::{Observable, State, Watcher};
///
/// #[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
/// pub enum Link { Down, Up }
///
/// pub struct Driver { link: Observable<Link> }
///
/// impl Driver {
///     /// Callers may watch the link; only the driver sets it.
///     pub fn link(&self) -> Watcher<'_, Link> {
///         self.link.watcher()
///     }
/// }
///
/// let driver = Driver { link: Observable::new(Link::Down) };
/// let link = driver.link();
/// driver.link.set(Link::Up);
/// assert_eq!(link.get(), Link::Up);
/// assert_eq!(futures_lite::future::block_on(link.wait_until(Link::Up)), Link::Up);
/// ```
///
/// It has no `set`:
///
/// ```compile_fail,E0599
/// let n = stateword::Observable::new(1u8);
/// n.watcher().set(2);
/// ```
pub struct Watcher<'a, S: State, const HISTORY: usize = 0> {
    observable: &'a Observable<S, HISTORY>,
}

impl<S: State, const HISTORY: usize> Clone for Watcher<'_, S, HISTORY> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S: State, const HISTORY: usize> Copy for Watcher<'_, S, HISTORY> {}

impl<S: State, const HISTORY: usize> Observable<S, HISTORY> {
    /// A read-only view of this observable.
    ///
    /// ```
    /// let n = stateword::Observable::new(1u8);
    /// let view = n.watcher();
    /// n.set(2);
    /// assert_eq!((view.get(), view.version()), (2, 1));
    /// ```
    pub fn watcher(&self) -> Watcher<'_, S, HISTORY> {
        Watcher { observable: self }
    }

    /// A read-only view that owns a share of this observable: `'static`.
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let n = Arc::new(stateword::Observable::new(1u8));
    /// let view = n.clone().watcher_owned();
    /// n.set(2);
    /// assert_eq!(std::thread::spawn(move || view.get()).join().unwrap(), 2);
    /// ```
    #[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
    #[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
    pub fn watcher_owned(self: Arc<Self>) -> OwnedWatcher<S, HISTORY> {
        OwnedWatcher { observable: self }
    }
}

impl<'a, S: State, const HISTORY: usize> Watcher<'a, S, HISTORY> {
    /// [`Observable::get`].
    ///
    /// ```
    /// let n = stateword::Observable::new(4u8);
    /// assert_eq!(n.watcher().get(), 4);
    /// ```
    pub fn get(self) -> S {
        self.observable.get()
    }

    /// [`Observable::version`].
    ///
    /// ```
    /// let n = stateword::Observable::new(4u8);
    /// n.set(5);
    /// assert_eq!(n.watcher().version(), 1);
    /// ```
    pub fn version(self) -> u64 {
        self.observable.version()
    }

    /// [`Observable::wait_for`], with its guarantees.
    ///
    /// ```
    /// let n = stateword::Observable::new(4u8);
    /// assert_eq!(futures_lite::future::block_on(n.watcher().wait_for(|n| n > 3)), 4);
    /// ```
    pub fn wait_for<P: FnMut(S) -> bool>(self, predicate: P) -> WaitFor<'a, S, P, HISTORY> {
        self.observable.wait_for(predicate)
    }

    /// [`Observable::wait_until`], with its guarantees.
    ///
    /// ```
    /// let ready = stateword::Observable::new(true);
    /// assert!(futures_lite::future::block_on(ready.watcher().wait_until(true)));
    /// ```
    pub fn wait_until(self, target: S) -> WaitUntil<'a, S, HISTORY> {
        self.observable.wait_until(target)
    }

    /// [`Observable::wait_for_next`], with its guarantees.
    ///
    /// ```
    /// use futures_lite::future::{block_on, poll_once};
    ///
    /// let up = stateword::Observable::new(true);
    /// let mut next = Box::pin(up.watcher().wait_for_next(|s| s));
    /// assert!(block_on(poll_once(&mut next)).is_none());
    /// up.set(false);
    /// up.set(true);
    /// assert!(block_on(next));
    /// ```
    pub fn wait_for_next<P: FnMut(S) -> bool>(self, predicate: P) -> WaitFor<'a, S, P, HISTORY> {
        self.observable.wait_for_next(predicate)
    }

    /// [`Observable::changed`], with its guarantees.
    ///
    /// ```
    /// use futures_lite::future::{block_on, poll_once};
    ///
    /// let n = stateword::Observable::new(0u8);
    /// let mut changed = Box::pin(n.watcher().changed());
    /// assert!(block_on(poll_once(&mut changed)).is_none());
    /// n.set(1);
    /// assert_eq!(block_on(changed), 1);
    /// ```
    pub fn changed(self) -> Changed<'a, S, HISTORY> {
        self.observable.changed()
    }

    /// [`Observable::subscribe`].
    ///
    /// ```
    /// let n = stateword::Observable::new(0u8);
    /// let mut sub = n.watcher().subscribe();
    /// n.set(1);
    /// assert_eq!(futures_lite::future::block_on(sub.changed()), 1);
    /// ```
    pub fn subscribe(self) -> Subscriber<'a, S, HISTORY> {
        self.observable.subscribe()
    }
}

impl<'a, S: State, const HISTORY: usize> Watcher<'a, Option<S>, HISTORY> {
    /// [`Observable::wait_for_some`], with its guarantees.
    ///
    /// ```
    /// let port = stateword::Observable::new(Some('p'));
    /// assert_eq!(futures_lite::future::block_on(port.watcher().wait_for_some(|_| true)), 'p');
    /// ```
    pub fn wait_for_some<P: FnMut(S) -> bool>(
        self,
        predicate: P,
    ) -> WaitForSome<'a, S, P, HISTORY> {
        self.observable.wait_for_some(predicate)
    }
}

impl<S: State + fmt::Debug, const HISTORY: usize> fmt::Debug for Watcher<'_, S, HISTORY> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Watcher").field(self.observable).finish()
    }
}

/// A read-only view that owns a share of an [`Observable`]: from
/// [`Observable::watcher_owned`]. `Clone` and `'static`, for a library that
/// hands its state to spawned tasks.
///
/// [`watcher`](Self::watcher) lends the borrowed view, with every wait;
/// the owned waits and subscribers are here too.
///
/// ```
/// use std::sync::Arc;
/// use stateword::{Observable, OwnedWatcher};
///
/// let ready = Arc::new(Observable::new(false));
/// let view: OwnedWatcher<bool> = ready.clone().watcher_owned();
/// let task = std::thread::spawn(move || {
///     futures_lite::future::block_on(view.wait_until_owned(true))
/// });
/// ready.set(true);
/// assert!(task.join().unwrap());
/// ```
#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
#[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
pub struct OwnedWatcher<S: State, const HISTORY: usize = 0> {
    observable: Arc<Observable<S, HISTORY>>,
}

#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
impl<S: State, const HISTORY: usize> Clone for OwnedWatcher<S, HISTORY> {
    fn clone(&self) -> Self {
        OwnedWatcher {
            observable: Arc::clone(&self.observable),
        }
    }
}

#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
impl<S: State, const HISTORY: usize> OwnedWatcher<S, HISTORY> {
    /// The borrowed view, for every wait of [`Watcher`].
    ///
    /// ```
    /// let view = std::sync::Arc::new(stateword::Observable::new(3u8)).watcher_owned();
    /// assert_eq!(futures_lite::future::block_on(view.watcher().wait_for(|n| n == 3)), 3);
    /// ```
    pub fn watcher(&self) -> Watcher<'_, S, HISTORY> {
        self.observable.watcher()
    }

    /// [`Observable::get`].
    ///
    /// ```
    /// let view = std::sync::Arc::new(stateword::Observable::new(3u8)).watcher_owned();
    /// assert_eq!(view.get(), 3);
    /// ```
    pub fn get(&self) -> S {
        self.observable.get()
    }

    /// [`Observable::version`].
    ///
    /// ```
    /// let view = std::sync::Arc::new(stateword::Observable::new(3u8)).watcher_owned();
    /// assert_eq!(view.version(), 0);
    /// ```
    pub fn version(&self) -> u64 {
        self.observable.version()
    }

    /// [`Observable::subscribe_owned`]: a `'static` subscriber.
    ///
    /// ```
    /// let n = std::sync::Arc::new(stateword::Observable::new(0u8));
    /// let mut sub = n.clone().watcher_owned().subscribe_owned();
    /// n.set(1);
    /// assert_eq!(futures_lite::future::block_on(sub.changed()), 1);
    /// ```
    pub fn subscribe_owned(&self) -> Subscriber<'static, S, HISTORY> {
        Arc::clone(&self.observable).subscribe_owned()
    }

    /// [`Observable::wait_for_owned`].
    ///
    /// ```
    /// let view = std::sync::Arc::new(stateword::Observable::new(3u8)).watcher_owned();
    /// assert_eq!(futures_lite::future::block_on(view.wait_for_owned(|n| n == 3)), 3);
    /// ```
    pub fn wait_for_owned<P: FnMut(S) -> bool>(
        &self,
        predicate: P,
    ) -> crate::OwnedWaitFor<S, P, HISTORY> {
        Arc::clone(&self.observable).wait_for_owned(predicate)
    }

    /// [`Observable::wait_until_owned`].
    ///
    /// ```
    /// let view = std::sync::Arc::new(stateword::Observable::new(true)).watcher_owned();
    /// assert!(futures_lite::future::block_on(view.wait_until_owned(true)));
    /// ```
    pub fn wait_until_owned(&self, target: S) -> crate::OwnedWaitUntil<S, HISTORY> {
        Arc::clone(&self.observable).wait_until_owned(target)
    }

    /// [`Observable::changed_owned`].
    ///
    /// ```
    /// let n = std::sync::Arc::new(stateword::Observable::new(0u8));
    /// let mut changed = Box::pin(n.clone().watcher_owned().changed_owned());
    /// assert!(futures_lite::future::block_on(futures_lite::future::poll_once(&mut changed)).is_none());
    /// n.set(1);
    /// assert_eq!(futures_lite::future::block_on(changed), 1);
    /// ```
    pub fn changed_owned(&self) -> crate::OwnedChanged<S, HISTORY> {
        Arc::clone(&self.observable).changed_owned()
    }
}

#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
impl<S: State + fmt::Debug, const HISTORY: usize> fmt::Debug for OwnedWatcher<S, HISTORY> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("OwnedWatcher")
            .field(&*self.observable)
            .finish()
    }
}
