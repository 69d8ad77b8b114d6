//! [`Subscriber`]: a cursor into an observable's transitions.

use core::borrow::BorrowMut;
use core::fmt;
use core::marker::PhantomData;

use crate::engine::{engine_newtype, Check, Engine, OnObservable};
use crate::history::{self, Lagged, Read, Transition};
use crate::observable::Observable;
use crate::state::State;
use crate::sync::Word;
use crate::until::state_stream;
use crate::waiters::Waiters;
use crate::word::Layout;

#[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
use alloc::sync::Arc;

use crate::source::Source;

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
///   continues. [`transitions`](Self::transitions) is the same as a
///   [`Stream`](futures_core::Stream), [`changes`](Self::changes) the values of `changed`.
///
/// Memory is constant: the cursor, and one listener while waiting. The
/// subscriber itself is a plain cursor (`Unpin`, free to move); the listener
/// lives in the future or stream that waits, which is `!Unpin`: the notify
/// list links its node there.
///
/// ```
/// use futures_lite::future::block_on;
/// use stateword::{Observable, Transition};
///
/// static DOOR: Observable<bool, 8> = Observable::with_history(false);
///
/// let mut sub = DOOR.subscribe();
/// DOOR.set(true);
/// DOOR.set(false);
/// block_on(async {
///     assert_eq!(sub.next_transition().await, Ok(Transition { from: false, to: true, version: 1 }));
///     assert_eq!(sub.next_transition().await, Ok(Transition { from: true, to: false, version: 2 }));
/// });
/// ```
pub struct Subscriber<'a, S: State, const HISTORY: usize = 0> {
    source: Source<'a, S, HISTORY>,
    /// The version this subscriber has seen up to, and [`UNSEEN`].
    cursor: Word,
}

/// The top bit of a cursor: `mark_unseen` was called since the cursor last
/// moved. Versions never reach it (the value takes at least 8 bits), so a
/// marked cursor equals no version and the change checks report a change.
const UNSEEN: Word = 1 << (crate::word::WORD_BITS - 1);

impl<S: State, const HISTORY: usize> Clone for Subscriber<'_, S, HISTORY> {
    /// A subscriber that has seen what this one has seen (a `watch::Receiver`
    /// clone); the two move on independently.
    ///
    /// ```
    /// let n = stateword::Observable::new(0u8);
    /// let a = n.subscribe();
    /// n.set(1);
    /// let mut b = a.clone();
    /// assert!(a.has_changed() && b.has_changed());
    /// assert_eq!(b.mark_seen(), 1);
    /// assert!(a.has_changed() && !b.has_changed());
    /// ```
    fn clone(&self) -> Self {
        Subscriber {
            source: self.source.clone(),
            cursor: self.cursor,
        }
    }
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
    #[cfg(all(feature = "alloc", target_has_atomic = "ptr"))]
    #[cfg_attr(docsrs, doc(cfg(feature = "alloc")))]
    pub fn subscribe_owned(self: Arc<Self>) -> Subscriber<'static, S, HISTORY> {
        Subscriber::new(Source::Shared(self))
    }
}

impl<'a, S: State, const HISTORY: usize> Subscriber<'a, S, HISTORY> {
    fn new(source: Source<'a, S, HISTORY>) -> Self {
        let cursor = Layout::<S>::version(source.get().word.read());
        Subscriber { source, cursor }
    }

    /// The observable and the cursor, lent to one wait.
    fn cursor(&mut self) -> Cursor<'_, S, HISTORY> {
        let Subscriber { source, cursor } = self;
        Cursor {
            observable: source.get(),
            cursor,
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
        crate::word::widen(self.cursor & !UNSEEN)
    }

    /// The observable's current value, as [`Observable::get`]; the cursor
    /// stays where it is.
    ///
    /// ```
    /// let n = stateword::Observable::new(3u8);
    /// let sub = n.subscribe();
    /// n.set(4);
    /// assert_eq!(sub.get(), 4);
    /// assert!(sub.has_changed());
    /// ```
    pub fn get(&self) -> S {
        self.source.get().get()
    }

    /// The observable this subscriber follows.
    ///
    /// ```
    /// let n = stateword::Observable::new(3u8);
    /// let sub = n.subscribe();
    /// assert!(std::ptr::eq(sub.observable(), &n));
    /// ```
    pub fn observable(&self) -> &Observable<S, HISTORY> {
        self.source.get()
    }

    /// Marks the current value as not seen yet (tokio's `mark_unseen`):
    /// [`has_changed`](Self::has_changed) is true, and the next
    /// [`changed`](Self::changed), or the first item of
    /// [`changes`](Self::changes), returns the current value at once. A
    /// stream of values that starts with the current one
    /// (`WatchStream::new`) is `mark_unseen` then `changes`.
    ///
    /// The cursor does not move: [`next_transition`](Self::next_transition)
    /// still returns the transitions after it, and moving the cursor clears
    /// the mark.
    ///
    /// ```
    /// use futures_lite::{future::block_on, StreamExt};
    ///
    /// let n = stateword::Observable::new(7u8);
    /// let mut sub = n.subscribe();
    /// sub.mark_unseen();
    /// assert!(sub.has_changed());
    /// let mut changes = core::pin::pin!(sub.changes());
    /// assert_eq!(block_on(changes.next()), Some(7)); // at once, no set needed
    /// ```
    pub fn mark_unseen(&mut self) {
        self.cursor |= UNSEEN;
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
        Layout::<S>::version(self.source.get().word.read()) != self.cursor
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
        let word = self.source.get().word.read();
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
        SubscriberChanged(Engine::new(ChangeCheck(self.cursor())), PhantomData)
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
        NextTransition(Engine::new(TransitionCheck(self.cursor())), PhantomData)
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
        let current = Layout::<S>::version(self.source.get().word.read_in_order());
        self.cursor().transition_at(current)
    }

    /// A stream of the value after each change, as
    /// [`changed`](Self::changed) in a loop (tokio-stream's
    /// `WatchStream::from_changes`); works without history. It borrows the
    /// subscriber, whose cursor it moves; pin it to poll it.
    ///
    /// ```
    /// use futures_lite::{future::block_on, StreamExt};
    ///
    /// let n = stateword::Observable::new(0u8);
    /// let mut sub = n.subscribe();
    /// let mut changes = core::pin::pin!(sub.changes());
    /// n.set(7);
    /// assert_eq!(block_on(changes.next()), Some(7));
    /// ```
    pub fn changes(&mut self) -> Changes<'_, 'a, S, HISTORY> {
        Changes(Engine::new(ChangeCheck(self.cursor())), PhantomData)
    }

    /// A stream of every transition after the cursor, as
    /// [`next_transition`](Self::next_transition) in a loop. Needs
    /// `HISTORY > 0`. It borrows the subscriber, whose cursor it moves; pin
    /// it to poll it.
    ///
    /// ```
    /// use futures_lite::{future::block_on, StreamExt};
    /// use stateword::{Observable, Transition};
    ///
    /// let door: Observable<bool, 8> = Observable::with_history(false);
    /// let mut sub = door.subscribe();
    /// let mut transitions = core::pin::pin!(sub.transitions());
    /// door.set(true);
    /// let first = block_on(transitions.next());
    /// assert_eq!(first, Some(Ok(Transition { from: false, to: true, version: 1 })));
    /// ```
    pub fn transitions(&mut self) -> Transitions<'_, 'a, S, HISTORY> {
        #[allow(clippy::let_unit_value)]
        let () = NeedsHistory::<HISTORY>::OK;
        Transitions(Engine::new(TransitionCheck(self.cursor())), PhantomData)
    }

    /// [`changes`](Self::changes) as a stream that owns the subscriber:
    /// `'static` when the subscriber is (from
    /// [`subscribe_owned`](Observable::subscribe_owned)), so a server can
    /// hand it to a spawned task or return it as a response stream. No
    /// allocation per item.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use futures_lite::{future::block_on, StreamExt};
    ///
    /// let n = Arc::new(stateword::Observable::new(0u8));
    /// let mut sub = n.clone().subscribe_owned();
    /// sub.mark_unseen(); // start with the current value, as WatchStream::new
    /// let mut changes = Box::pin(sub.into_changes());
    /// let task = std::thread::spawn(move || block_on(changes.next()));
    /// assert_eq!(task.join().unwrap(), Some(0));
    /// ```
    pub fn into_changes(self) -> IntoChanges<'a, S, HISTORY> {
        let Subscriber { source, cursor } = self;
        // SAFETY: the stream keeps `source` in its second field, which drops
        // after the first, the engine, the only holder of the reference.
        let observable = unsafe { source.extend() };
        let check = ChangeCheck(Cursor { observable, cursor });
        IntoChanges(Engine::new(check), source)
    }

    /// [`transitions`](Self::transitions) as a stream that owns the
    /// subscriber: `'static` when the subscriber is. Needs `HISTORY > 0`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use futures_lite::{future::block_on, StreamExt};
    ///
    /// let door: Arc<stateword::Observable<bool, 4>> =
    ///     Arc::new(stateword::Observable::with_history(false));
    /// let transitions = door.clone().subscribe_owned().into_transitions();
    /// door.set(true);
    /// door.set(false);
    /// let to: Vec<bool> = block_on(transitions.take(2).map(|t| t.unwrap().to).collect());
    /// assert_eq!(to, [true, false]);
    /// ```
    pub fn into_transitions(self) -> IntoTransitions<'a, S, HISTORY> {
        #[allow(clippy::let_unit_value)]
        let () = NeedsHistory::<HISTORY>::OK;
        let Subscriber { source, cursor } = self;
        // SAFETY: as in `into_changes`: the source outlives the engine.
        let observable = unsafe { source.extend() };
        let check = TransitionCheck(Cursor { observable, cursor });
        IntoTransitions(Engine::new(check), source)
    }
}

/// A subscriber's cursor and observable, for one wait: the cursor lent
/// (`&mut Word`) or, in the streams that own the subscriber, owned (`Word`).
pub(crate) struct Cursor<'s, S: State, const HISTORY: usize, W = &'s mut Word> {
    observable: &'s Observable<S, HISTORY>,
    cursor: W,
}

impl<S: State, const HISTORY: usize, W: BorrowMut<Word>> Cursor<'_, S, HISTORY, W> {
    /// The transition after the cursor, given the observable's `current`
    /// version; `None` if it is not there (yet).
    fn transition_at(&mut self, current: Word) -> Option<Result<Transition<S>, Lagged>> {
        let cursor = self.cursor.borrow_mut();
        let seen = *cursor & !UNSEEN;
        if current == seen {
            return None;
        }
        let wanted = seen.wrapping_add(1) & Layout::<S>::VERSION_MASK;
        match history::read::<S>(&self.observable.history, wanted, current) {
            Read::Present(transition) => {
                *cursor = wanted;
                Some(Ok(transition))
            }
            Read::NotYet => None,
            Read::Overwritten => {
                // `current` may predate the transition that overwrote the
                // slot; the word now holds at least that one (its CAS came
                // before its slot write, which we saw), so the oldest retained
                // transition is after `wanted` and `missed` is at least 1.
                let now = self.observable.word.read_in_order();
                let oldest = history::oldest_retained::<S>(HISTORY, Layout::<S>::version(now));
                let missed = Layout::<S>::distance(seen, oldest) - 1;
                *cursor = oldest.wrapping_sub(1) & Layout::<S>::VERSION_MASK;
                Some(Err(Lagged {
                    missed: crate::word::widen(missed),
                }))
            }
        }
    }
}

/// What `changed` and `changes` look for: the observable moved past the
/// cursor. Every look loads the word in order (W3 in `waiters.rs`).
pub(crate) struct ChangeCheck<'s, S: State, const HISTORY: usize, W = &'s mut Word>(
    Cursor<'s, S, HISTORY, W>,
);

impl<'s, S: State, const HISTORY: usize, W> OnObservable<'s> for ChangeCheck<'s, S, HISTORY, W> {
    fn waiters(&self) -> &'s Waiters {
        &self.0.observable.waiters
    }
}

impl<'s, S: State, const HISTORY: usize, W: BorrowMut<Word>> Check<'s>
    for ChangeCheck<'s, S, HISTORY, W>
{
    type Output = S;

    fn check(&mut self) -> Option<S> {
        let word = self.0.observable.word.read_in_order();
        let version = Layout::<S>::version(word);
        let cursor = self.0.cursor.borrow_mut();
        if version == *cursor {
            return None;
        }
        *cursor = version;
        Some(Layout::<S>::value(word))
    }
}

/// What `next_transition` and `transitions` look for: the transition after
/// the cursor, from the ring.
pub(crate) struct TransitionCheck<'s, S: State, const HISTORY: usize, W = &'s mut Word>(
    Cursor<'s, S, HISTORY, W>,
);

impl<'s, S: State, const HISTORY: usize, W> OnObservable<'s>
    for TransitionCheck<'s, S, HISTORY, W>
{
    fn waiters(&self) -> &'s Waiters {
        &self.0.observable.waiters
    }
}

impl<'s, S: State, const HISTORY: usize, W: BorrowMut<Word>> Check<'s>
    for TransitionCheck<'s, S, HISTORY, W>
{
    type Output = Result<Transition<S>, Lagged>;

    fn check(&mut self) -> Option<Self::Output> {
        let current = Layout::<S>::version(self.0.observable.word.read_in_order());
        self.0.transition_at(current)
    }
}

impl<S: State, const HISTORY: usize> fmt::Debug for Subscriber<'_, S, HISTORY> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscriber")
            .field("version", &self.version())
            .field("history", &HISTORY)
            .finish()
    }
}

engine_newtype! {
    /// Future of [`Subscriber::changed`]: the value after the cursor moved.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct SubscriberChanged<'s, 'a, S, HISTORY>(
        Engine<'s, ChangeCheck<'s, S, HISTORY>>,
        PhantomData<&'s mut Subscriber<'a, S, HISTORY>>
    )
    where ['s, 'a, S: State, const HISTORY: usize] ['s, 'a, S: State, const HISTORY: usize];
    impl Future -> S;
}

engine_newtype! {
    /// Future of [`Subscriber::next_transition`].
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct NextTransition<'s, 'a, S, HISTORY>(
        Engine<'s, TransitionCheck<'s, S, HISTORY>>,
        PhantomData<&'s mut Subscriber<'a, S, HISTORY>>
    )
    where ['s, 'a, S: State, const HISTORY: usize] ['s, 'a, S: State, const HISTORY: usize];
    impl Future -> Result<Transition<S>, Lagged>;
}

engine_newtype! {
    /// Stream of the value after each change: [`Subscriber::changes`].
    #[must_use = "streams do nothing unless polled"]
    pub struct Changes<'s, 'a, S, HISTORY>(
        Engine<'s, ChangeCheck<'s, S, HISTORY>>,
        PhantomData<&'s mut Subscriber<'a, S, HISTORY>>
    )
    where ['s, 'a, S: State, const HISTORY: usize] ['s, 'a, S: State, const HISTORY: usize];
    impl Stream -> S;
}

engine_newtype! {
    /// Stream of every transition after the cursor, in order:
    /// [`Subscriber::transitions`] (`HISTORY > 0`).
    #[must_use = "streams do nothing unless polled"]
    pub struct Transitions<'s, 'a, S, HISTORY>(
        Engine<'s, TransitionCheck<'s, S, HISTORY>>,
        PhantomData<&'s mut Subscriber<'a, S, HISTORY>>
    )
    where ['s, 'a, S: State, const HISTORY: usize] ['s, 'a, S: State, const HISTORY: usize];
    impl Stream -> Result<Transition<S>, Lagged>;
}

engine_newtype! {
    /// Stream of the value after each change that owns its subscriber:
    /// [`Subscriber::into_changes`].
    #[must_use = "streams do nothing unless polled"]
    pub struct IntoChanges<'a, S, HISTORY>(
        Engine<'a, ChangeCheck<'a, S, HISTORY, Word>>,
        Source<'a, S, HISTORY>
    )
    where ['a, S: State, const HISTORY: usize] ['a, S: State, const HISTORY: usize = 0];
    impl Stream -> S;
}

engine_newtype! {
    /// Stream of every transition after the cursor that owns its subscriber:
    /// [`Subscriber::into_transitions`] (`HISTORY > 0`).
    #[must_use = "streams do nothing unless polled"]
    pub struct IntoTransitions<'a, S, HISTORY>(
        Engine<'a, TransitionCheck<'a, S, HISTORY, Word>>,
        Source<'a, S, HISTORY>
    )
    where ['a, S: State, const HISTORY: usize] ['a, S: State, const HISTORY: usize];
    impl Stream -> Result<Transition<S>, Lagged>;
}

state_stream!(IntoChanges ['a, S: State, const HISTORY: usize] ['a, S, HISTORY] |item| Some(*item));
state_stream!(IntoTransitions ['a, S: State, const HISTORY: usize] ['a, S, HISTORY]
    |item| item.as_ref().ok().map(|t| t.to));

state_stream!(Changes ['s, 'a, S: State, const HISTORY: usize] ['s, 'a, S, HISTORY] |item| Some(*item));
state_stream!(Transitions ['s, 'a, S: State, const HISTORY: usize] ['s, 'a, S, HISTORY]
    |item| item.as_ref().ok().map(|t| t.to));
