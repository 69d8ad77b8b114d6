//! The observable's waits as futures that own a share of it (`self:
//! Arc<Self>`, as tokio's `Notify::notified_owned`): `'static`, so a spawned
//! task can own its wait. They run on the one engine; the `Arc` they keep
//! drops after it.

use alloc::sync::Arc;

use crate::engine::{engine_newtype, Engine};
use crate::observable::Observable;
use crate::source::Source;
use crate::state::State;
use crate::wait::{AnyValue, Equals, Matcher, Mode, StateCheck};

impl<S: State, const HISTORY: usize> Observable<S, HISTORY> {
    /// [`wait_for`](Self::wait_for) as a future that owns a share of the
    /// observable: `'static`, for `tokio::spawn` and friends.
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let level = Arc::new(stateword::Observable::new(0u8));
    /// let high = level.clone().wait_for_owned(|n| n > 5);
    /// let task = std::thread::spawn(move || futures_lite::future::block_on(high));
    /// level.set(9);
    /// assert_eq!(task.join().unwrap(), 9);
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
    pub fn wait_for_owned<P: FnMut(S) -> bool>(
        self: Arc<Self>,
        predicate: P,
    ) -> OwnedWaitFor<S, P, HISTORY> {
        let (engine, source) = owned(self, predicate, Mode::Level);
        OwnedWaitFor(engine, source)
    }

    /// [`wait_until`](Self::wait_until) as a future that owns a share of
    /// the observable.
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// let ready = Arc::new(stateword::Observable::new(false));
    /// let wait = ready.clone().wait_until_owned(true);
    /// let task = std::thread::spawn(move || futures_lite::future::block_on(wait));
    /// ready.set(true);
    /// assert!(task.join().unwrap());
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
    pub fn wait_until_owned(self: Arc<Self>, target: S) -> OwnedWaitUntil<S, HISTORY> {
        let (engine, source) = owned(self, Equals(target), Mode::Level);
        OwnedWaitUntil(engine, source)
    }

    /// [`changed`](Self::changed) as a future that owns a share of the
    /// observable.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use futures_lite::future::{block_on, poll_once};
    ///
    /// let n = Arc::new(stateword::Observable::new(0u32));
    /// let mut changed = Box::pin(n.clone().changed_owned());
    /// assert!(block_on(poll_once(&mut changed)).is_none()); // registered
    /// n.set(1);
    /// assert_eq!(block_on(changed), 1);
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
    pub fn changed_owned(self: Arc<Self>) -> OwnedChanged<S, HISTORY> {
        let (engine, source) = owned(self, AnyValue, Mode::Changed);
        OwnedChanged(engine, source)
    }
}

/// An owned wait's engine, and the source that must outlive it.
type Owned<S, P, const HISTORY: usize> = (
    Engine<'static, StateCheck<'static, S, P, HISTORY>>,
    Source<'static, S, HISTORY>,
);

fn owned<S: State, P: Matcher<S>, const HISTORY: usize>(
    observable: Arc<Observable<S, HISTORY>>,
    predicate: P,
    mode: Mode,
) -> Owned<S, P, HISTORY> {
    let source = Source::Shared(observable);
    // SAFETY: every caller stores the source as the future's second field,
    // which drops after the first, the engine: the only holder of the
    // reference.
    let observable = unsafe { source.extend() };
    (StateCheck::engine(observable, predicate, mode), source)
}

engine_newtype! {
    /// Future of [`Observable::wait_for_owned`]: resolves to the matched
    /// value; `'static`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use stateword::OwnedWaitFor;
    ///
    /// let n = Arc::new(stateword::Observable::new(1u8));
    /// let wait: OwnedWaitFor<u8, _> = n.wait_for_owned(|n| n == 1);
    /// assert_eq!(futures_lite::future::block_on(wait), 1);
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct OwnedWaitFor<S, P, HISTORY>(
        Engine<'static, StateCheck<'static, S, P, HISTORY>>,
        Source<'static, S, HISTORY>
    )
    where [S: State, P: FnMut(S) -> bool, const HISTORY: usize]
        [S: State, P, const HISTORY: usize = 0];
    impl Future -> S;
}

engine_newtype! {
    /// Future of [`Observable::wait_until_owned`]: resolves to the target
    /// value; `'static`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use stateword::OwnedWaitUntil;
    ///
    /// let ready = Arc::new(stateword::Observable::new(true));
    /// let wait: OwnedWaitUntil<bool> = ready.wait_until_owned(true);
    /// assert!(futures_lite::future::block_on(wait));
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct OwnedWaitUntil<S, HISTORY>(
        Engine<'static, StateCheck<'static, S, Equals<S>, HISTORY>>,
        Source<'static, S, HISTORY>
    )
    where [S: State, const HISTORY: usize] [S: State, const HISTORY: usize = 0];
    impl Future -> S;
}

engine_newtype! {
    /// Future of [`Observable::changed_owned`]: resolves to the value after
    /// at least one transition; `'static`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use stateword::OwnedChanged;
    ///
    /// let n = Arc::new(stateword::Observable::new(0u32));
    /// let changed: OwnedChanged<u32> = n.clone().changed_owned();
    /// n.set(3); // before the first poll: not counted
    /// let mut changed = Box::pin(changed);
    /// assert!(futures_lite::future::block_on(futures_lite::future::poll_once(&mut changed)).is_none());
    /// ```
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct OwnedChanged<S, HISTORY>(
        Engine<'static, StateCheck<'static, S, AnyValue, HISTORY>>,
        Source<'static, S, HISTORY>
    )
    where [S: State, const HISTORY: usize] [S: State, const HISTORY: usize = 0];
    impl Future -> S;
}
