//! [`Subscriber`]: a cursor into an observable's transitions.

use core::fmt;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll};

use futures_core::Stream;

use crate::history::{self, Lagged, Read, Transition};
use crate::observable::Observable;
use crate::park::Parker;
use crate::state::State;
use crate::sync::{Ordering, Word};
use crate::word::Layout;

#[cfg(target_has_atomic = "ptr")]
use alloc::sync::Arc;

/// Where a subscriber's observable lives: borrowed (a `static`, or a local
/// that outlives the subscriber) or shared through an `Arc`.
enum Source<'a, S: State, const HISTORY: usize> {
    Borrowed(&'a Observable<S, HISTORY>),
    #[cfg(target_has_atomic = "ptr")]
    Shared(Arc<Observable<S, HISTORY>>),
}

impl<S: State, const HISTORY: usize> Source<'_, S, HISTORY> {
    fn get(&self) -> &Observable<S, HISTORY> {
        match self {
            Source::Borrowed(observable) => observable,
            #[cfg(target_has_atomic = "ptr")]
            Source::Shared(observable) => observable,
        }
    }
}

/// A cursor into the transitions of an [`Observable`], from
/// [`Observable::subscribe`] or [`Observable::subscribe_owned`].
///
/// * [`changed`](Self::changed) completes once the observable moved past the
///   cursor and moves the cursor to now: called in a loop it never misses
///   that a change happened between two calls (the asyncio `wait_for_change`
///   loop), on any observable.
/// * [`next_transition`](Self::next_transition) returns every transition
///   after the cursor, exactly and in order, from the observable's history
///   ring (`Observable::<S, N>::with_history`, `N > 0`); a subscriber that
///   fell more than `N` behind gets one [`Lagged`] with the exact count, then
///   continues. As a [`Stream`] it yields the same items.
///
/// Memory is constant: the cursor, and one listener while waiting.
///
/// ```
/// use futures_lite::{future::block_on, StreamExt};
/// use stateword::{Observable, Transition};
///
/// static DOOR: Observable<bool, 8> = Observable::with_history(false);
///
/// let mut sub = DOOR.subscribe();
/// DOOR.set(true);
/// DOOR.set(false);
/// block_on(async {
///     assert_eq!(sub.next().await, Some(Ok(Transition { from: false, to: true, version: 1 })));
///     assert_eq!(sub.next().await, Some(Ok(Transition { from: true, to: false, version: 2 })));
/// });
/// ```
pub struct Subscriber<'a, S: State, const HISTORY: usize = 0> {
    source: Source<'a, S, HISTORY>,
    /// The version this subscriber has seen up to.
    cursor: Word,
    parker: Parker,
}

/// `next_transition` on an observable without history is a compile error.
struct NeedsHistory<const HISTORY: usize>;
impl<const HISTORY: usize> NeedsHistory<HISTORY> {
    const OK: () = assert!(
        HISTORY > 0,
        "stateword: transitions need a history ring: use Observable::<S, N>::with_history with N > 0"
    );
}

impl<S: State, const HISTORY: usize> Observable<S, HISTORY> {
    /// A subscriber whose cursor is at the current version.
    ///
    /// ```
    /// use stateword::Observable;
    /// use futures_lite::future::block_on;
    ///
    /// let n = Observable::new(0u32);
    /// let mut sub = n.subscribe();
    /// n.set(1);
    /// n.set(2);
    /// assert_eq!(block_on(sub.changed()), 2); // both changes, seen as one
    /// ```
    pub fn subscribe(&self) -> Subscriber<'_, S, HISTORY> {
        Subscriber::new(Source::Borrowed(self))
    }

    /// A subscriber that owns a share of the observable: `'static`, for
    /// spawned tasks.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use stateword::Observable;
    ///
    /// let n = Arc::new(Observable::new(0u8));
    /// let mut sub = n.clone().subscribe_owned();
    /// let task = std::thread::spawn(move || futures_lite::future::block_on(sub.changed()));
    /// n.set(5);
    /// assert_eq!(task.join().unwrap(), 5);
    /// ```
    #[cfg(target_has_atomic = "ptr")]
    pub fn subscribe_owned(self: Arc<Self>) -> Subscriber<'static, S, HISTORY> {
        Subscriber::new(Source::Shared(self))
    }
}

impl<'a, S: State, const HISTORY: usize> Subscriber<'a, S, HISTORY> {
    fn new(source: Source<'a, S, HISTORY>) -> Self {
        let cursor = Layout::<S>::version(source.get().word.load(Ordering::Acquire));
        Subscriber {
            source,
            cursor,
            parker: Parker::new(),
        }
    }

    /// The version this subscriber has seen up to.
    ///
    /// ```
    /// let n = stateword::Observable::new(0u8);
    /// n.set(1);
    /// let sub = n.subscribe();
    /// assert_eq!(sub.version(), 1);
    /// ```
    pub fn version(&self) -> u64 {
        crate::word::widen(self.cursor)
    }

    /// Whether the observable moved past the cursor; never waits (tokio's
    /// `has_changed`).
    ///
    /// ```
    /// let n = stateword::Observable::new(0u8);
    /// let sub = n.subscribe();
    /// assert!(!sub.has_changed());
    /// n.set(1);
    /// assert!(sub.has_changed());
    /// ```
    pub fn has_changed(&self) -> bool {
        Layout::<S>::version(self.source.get().word.load(Ordering::Acquire)) != self.cursor
    }

    /// Moves the cursor to the current version and returns the current
    /// value; never waits (tokio's `borrow_and_update`). Transitions in
    /// between are skipped, as [`changed`](Self::changed) skips them.
    ///
    /// ```
    /// let n = stateword::Observable::new(0u8);
    /// let mut sub = n.subscribe();
    /// n.set(4);
    /// assert_eq!(sub.mark_seen(), 4);
    /// assert!(!sub.has_changed());
    /// ```
    pub fn mark_seen(&mut self) -> S {
        let word = self.source.get().word.load(Ordering::Acquire);
        self.cursor = Layout::<S>::version(word);
        Layout::<S>::value(word)
    }

    /// Waits until the observable moved past the cursor, moves the cursor to
    /// the current version and returns the current value.
    ///
    /// Several transitions since the last call complete it once. Cancel-safe:
    /// dropping the future leaves the cursor where it was.
    ///
    /// ```
    /// use stateword::Observable;
    /// use futures_lite::future::{block_on, poll_once};
    ///
    /// let n = Observable::new(0u32);
    /// let mut sub = n.subscribe();
    /// n.set(1); // between two calls: not missed
    /// assert_eq!(block_on(sub.changed()), 1);
    /// assert!(block_on(poll_once(sub.changed())).is_none());
    /// ```
    pub fn changed(&mut self) -> SubscriberChanged<'_, 'a, S, HISTORY> {
        SubscriberChanged(self)
    }

    /// Waits for the next transition after the cursor and moves the cursor
    /// to it; exact and in version order.
    ///
    /// If the history ring overwrote it, returns `Err(Lagged { missed })`
    /// once, with the exact number of transitions skipped, and continues with
    /// the oldest transition still retained. Needs `HISTORY > 0`: on an
    /// observable without history this does not compile.
    ///
    /// ```
    /// use stateword::{Lagged, Observable};
    /// use futures_lite::future::block_on;
    ///
    /// let n: Observable<u32, 2> = Observable::with_history(0);
    /// let mut sub = n.subscribe();
    /// for i in 1..=5 {
    ///     n.set(i);
    /// }
    /// block_on(async {
    ///     assert_eq!(sub.next_transition().await, Err(Lagged { missed: 3 }));
    ///     assert_eq!(sub.next_transition().await.unwrap().to, 4);
    ///     assert_eq!(sub.next_transition().await.unwrap().to, 5);
    /// });
    /// ```
    ///
    /// ```compile_fail,E0080
    /// let n = stateword::Observable::new(0u32); // no history
    /// let mut sub = n.subscribe();
    /// let _ = futures_lite::future::block_on(sub.next_transition());
    /// ```
    pub fn next_transition(&mut self) -> NextTransition<'_, 'a, S, HISTORY> {
        #[allow(clippy::let_unit_value)]
        let () = NeedsHistory::<HISTORY>::OK;
        NextTransition(self)
    }

    /// The next transition if one is already there; never waits.
    ///
    /// ```
    /// let n: stateword::Observable<u8, 4> = stateword::Observable::with_history(0);
    /// let mut sub = n.subscribe();
    /// assert_eq!(sub.try_next_transition(), None);
    /// n.set(3);
    /// assert_eq!(sub.try_next_transition().unwrap().unwrap().to, 3);
    /// ```
    pub fn try_next_transition(&mut self) -> Option<Result<Transition<S>, Lagged>> {
        #[allow(clippy::let_unit_value)]
        let () = NeedsHistory::<HISTORY>::OK;
        let current = Layout::<S>::version(self.source.get().word.load(Ordering::SeqCst));
        self.transition_at(current)
    }

    /// A stream of the value after each change, as
    /// [`changed`](Self::changed) in a loop (tokio-stream's
    /// `WatchStream::from_changes`); works without history.
    ///
    /// ```
    /// use futures_lite::{future::block_on, StreamExt};
    ///
    /// let n = stateword::Observable::new(0u8);
    /// let mut changes = n.subscribe().into_changes();
    /// n.set(7);
    /// assert_eq!(block_on(changes.next()), Some(7));
    /// ```
    pub fn into_changes(self) -> Changes<'a, S, HISTORY> {
        Changes(self)
    }

    /// The transition after the cursor, given the observable's `current`
    /// version; `None` if it is not there (yet).
    fn transition_at(&mut self, current: Word) -> Option<Result<Transition<S>, Lagged>> {
        if current == self.cursor {
            return None;
        }
        let wanted = self.cursor.wrapping_add(1) & Layout::<S>::VERSION_MASK;
        match history::read::<S>(&self.source.get().history, wanted, current) {
            Read::Present(transition) => {
                self.cursor = wanted;
                Some(Ok(transition))
            }
            Read::NotYet => None,
            Read::Overwritten => {
                // `current` may predate the transition that overwrote the
                // slot; the word now holds at least that one (its CAS came
                // before its slot write, which we saw), so the oldest retained
                // transition is after `wanted` and `missed` is at least 1.
                let now = self.source.get().word.load(Ordering::SeqCst);
                let oldest = history::oldest_retained::<S>(HISTORY, Layout::<S>::version(now));
                let missed = Layout::<S>::distance(self.cursor, oldest) - 1;
                self.cursor = oldest.wrapping_sub(1) & Layout::<S>::VERSION_MASK;
                Some(Err(Lagged {
                    missed: crate::word::widen(missed),
                }))
            }
        }
    }

    fn check_transition(&mut self) -> Option<Result<Transition<S>, Lagged>> {
        loop {
            let observable = self.source.get();
            let current = Layout::<S>::version(observable.word.load(Ordering::SeqCst));
            if let Some(found) = self.transition_at(current) {
                return Some(found);
            }
            if self.parker.is_registered() {
                return None;
            }
            // Register, then look again with the SeqCst loads above.
            self.parker.register(self.source.get());
        }
    }

    fn check_changed(&mut self) -> Option<S> {
        loop {
            let word = self.source.get().word.load(Ordering::SeqCst);
            if Layout::<S>::version(word) != self.cursor {
                self.cursor = Layout::<S>::version(word);
                return Some(Layout::<S>::value(word));
            }
            if self.parker.is_registered() {
                return None;
            }
            self.parker.register(self.source.get());
        }
    }

    /// Drives `check` to completion: check, listen, re-check, park.
    fn poll_with<T>(&mut self, cx: &mut Context<'_>, check: fn(&mut Self) -> Option<T>) -> Poll<T> {
        loop {
            if let Some(found) = check(self) {
                self.parker.unregister(self.source.get());
                return Poll::Ready(found);
            }
            if self.parker.park(self.source.get(), cx).is_pending() {
                return Poll::Pending;
            }
        }
    }

    fn cancel(&mut self) {
        self.parker.unregister(self.source.get());
    }
}

impl<S: State, const HISTORY: usize> Drop for Subscriber<'_, S, HISTORY> {
    fn drop(&mut self) {
        self.cancel();
    }
}

impl<S: State, const HISTORY: usize> Unpin for Subscriber<'_, S, HISTORY> {}

impl<S: State, const HISTORY: usize> fmt::Debug for Subscriber<'_, S, HISTORY> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscriber")
            .field("version", &self.version())
            .field("history", &HISTORY)
            .finish()
    }
}

/// The transitions after the cursor, in order (`HISTORY > 0`).
impl<S: State, const HISTORY: usize> Stream for Subscriber<'_, S, HISTORY> {
    type Item = Result<Transition<S>, Lagged>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        #[allow(clippy::let_unit_value)]
        let () = NeedsHistory::<HISTORY>::OK;
        self.get_mut()
            .poll_with(cx, Self::check_transition)
            .map(Some)
    }
}

/// Future of [`Subscriber::changed`]: the value after the cursor moved.
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct SubscriberChanged<'s, 'a, S: State, const HISTORY: usize>(
    &'s mut Subscriber<'a, S, HISTORY>,
);

impl<S: State, const HISTORY: usize> Future for SubscriberChanged<'_, '_, S, HISTORY> {
    type Output = S;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<S> {
        self.0.poll_with(cx, Subscriber::check_changed)
    }
}

impl<S: State, const HISTORY: usize> Drop for SubscriberChanged<'_, '_, S, HISTORY> {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

impl<S: State, const HISTORY: usize> fmt::Debug for SubscriberChanged<'_, '_, S, HISTORY> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SubscriberChanged").field(&self.0).finish()
    }
}

/// Future of [`Subscriber::next_transition`].
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct NextTransition<'s, 'a, S: State, const HISTORY: usize>(
    &'s mut Subscriber<'a, S, HISTORY>,
);

impl<S: State, const HISTORY: usize> Future for NextTransition<'_, '_, S, HISTORY> {
    type Output = Result<Transition<S>, Lagged>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.poll_with(cx, Subscriber::check_transition)
    }
}

impl<S: State, const HISTORY: usize> Drop for NextTransition<'_, '_, S, HISTORY> {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

impl<S: State, const HISTORY: usize> fmt::Debug for NextTransition<'_, '_, S, HISTORY> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("NextTransition").field(&self.0).finish()
    }
}

/// Stream of the value after each change: [`Subscriber::into_changes`].
#[must_use = "streams do nothing unless polled"]
pub struct Changes<'a, S: State, const HISTORY: usize = 0>(Subscriber<'a, S, HISTORY>);

impl<S: State, const HISTORY: usize> Stream for Changes<'_, S, HISTORY> {
    type Item = S;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S>> {
        self.get_mut()
            .0
            .poll_with(cx, Subscriber::check_changed)
            .map(Some)
    }
}

impl<S: State, const HISTORY: usize> fmt::Debug for Changes<'_, S, HISTORY> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Changes").field(&self.0).finish()
    }
}
