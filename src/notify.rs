//! The notify list: an intrusive list of the wait futures that listen, and
//! `notify_all`, which wakes them. Each listener's node (its waker and two
//! links) lives inside its pinned wait future, so a wait future allocates
//! nothing, on every build (a thread's blocking waits share one waker,
//! made by its first: `thread_waker`); the list is a head, a tail and a
//! length behind a lock.
//!
//! The seam the rest of the crate relies on (`waiters.rs`):
//!
//! * [`Listener::listen`] links the node, with the waker to wake, under the
//!   lock, and sets `PENDING` in the acquire. Every `notify_all` that begins
//!   after `listen` returns either takes the lock (clearing `PENDING`) and
//!   finds the node, or finds it already taken, or finds `PENDING` already
//!   cleared by a notify whose first round came after the link, and so
//!   counted the node in its bound; either way the waiter is woken after it
//!   listened: "a notify that begins after `listen` is seen". (One woken by
//!   an earlier notify looks again and listens again: `waiters.rs`.)
//! * [`NotifyList::notify_all`] takes every node that was linked when it
//!   began out of the list, takes its waker, marks it `NOTIFIED` and wakes
//!   it (outside the lock, in batches).
//!
//! | `Listener::state` | the node | who may touch the node |
//! |---|---|---|
//! | `FRESH` | in no list, not listened since new or stopped | its owner, the wait future |
//! | `LINKED` | in the list, with a waker | whoever holds the list's lock, the owner included |
//! | `NOTIFIED` | out of the list, its waker taken | its owner, once an Acquire load saw `NOTIFIED` |
//! | `SPENT` | in no list again, told it was notified; still "has listened" | its owner |
//!
//! The notifier's Release store of `NOTIFIED` is its last access to a node:
//! after it the owner may complete and free the future without the lock.
//! That is what makes the woken path cheap: a woken wait completes, or
//! listens again, with one atomic load and no lock, and a future dropped
//! after its notify takes no lock either. Only `listen`, a poll that finds
//! itself still linked (a spurious poll, which refreshes the waker) and the
//! cancel of a linked node take the lock.
//!
//! The lock is the crate's own (`list_lock.rs`): one byte that is also the
//! list's `PENDING` bit, set by `listen`'s acquire and cleared by
//! `notify_all`'s, so a `notify_all` with nobody linked since the last one
//! returns after one load. Wakers run (and are cloned and dropped) outside
//! it, so a waker may do anything, polling included. A waker that panics
//! unwinds out of `set`: the listeners left in its batch (up to 15, taken
//! and marked `NOTIFIED`, their wakers dropped) are not woken and stay
//! parked until something else polls them; those still linked behind it
//! get `PENDING` back, so the next notify wakes them. This is the usual
//! cost of a notify list that wakes in a loop.

use core::marker::PhantomPinned;
use core::pin::Pin;
use core::ptr::NonNull;
use core::task::{Poll, RawWaker, RawWakerVTable, Waker};

use pin_project_lite::pin_project;

use crate::list_lock::ListLock;
use crate::sync::{loom_const_fn, AtomicUsize, Ordering, UnsafeCell};

/// In no list, and has not listened since it was new or stopped: its
/// owner's alone. The engine reads "listened" as "this wait is registered".
const FRESH: usize = 0;
/// In the list: the node is touched only under the list's lock.
const LINKED: usize = 1;
/// `notify_all` took the node out and its waker: its owner's again.
const NOTIFIED: usize = 2;
/// In no list again after listening, notified and told so: its owner's.
/// It has listened: the engine's wait is still registered.
const SPENT: usize = 3;

/// Wakers taken per round of the lock in `notify_all`: the lock is
/// released to wake them, so a fan-out to many waiters does not hold it
/// while the executors run their wakers.
const WAKE_BATCH: usize = 16;

/// What the list links: a listener's state and its node. `!Unpin`, so that
/// neither a pinned entry nor the `&mut` its owner reaches it through
/// claims the unique access the list's pointers would contradict.
struct Entry {
    /// `FRESH`, `LINKED`, `NOTIFIED` or `SPENT`. A word, not a byte: a
    /// byte would leave seven bytes of padding, undefined, with the cost
    /// that [`no_waker`] explains.
    state: AtomicUsize,
    node: UnsafeCell<Node>,
    _pinned: PhantomPinned,
}

impl Entry {
    /// Takes the node back after an Acquire load saw `NOTIFIED`, and checks
    /// that the notifier took its waker. Free in release builds; under loom
    /// it is an access to the node that the model checks for a
    /// happens-before edge from the notifier's last one.
    #[inline(always)]
    fn reclaim(&self) {
        self.node.with_mut(|node| {
            // SAFETY: the caller saw `NOTIFIED` with an Acquire load: the
            // notifier's accesses, which end with its Release store of it,
            // happened before, and nobody else touches an unlinked node.
            let waker = unsafe { &(*node).waker };
            debug_assert!(is_no_waker(waker), "the notifier takes the waker");
        });
        self.state.store(SPENT, Ordering::Relaxed);
    }

    /// Takes the node's waker, leaving [`no_waker`] in its place.
    ///
    /// # Safety
    ///
    /// The node is the caller's to touch: `LINKED` and the list's lock held.
    #[inline]
    unsafe fn take_waker(&self) -> Waker {
        // SAFETY: the caller's contract.
        self.node
            .with_mut(|node| unsafe { core::mem::replace(&mut (*node).waker, no_waker()) })
    }
}

impl Drop for Entry {
    /// The list would point at freed memory: `listen`'s contract rules it
    /// out, and debug builds check it.
    fn drop(&mut self) {
        debug_assert_ne!(
            self.state.load(Ordering::Relaxed),
            LINKED,
            "stateword: a listener dropped while linked"
        );
    }
}

/// A listener's waker and links. While the entry is `LINKED`, only code that
/// holds the list's lock touches it.
struct Node {
    /// The waker to wake while `LINKED`; [`no_waker`] otherwise.
    waker: Waker,
    prev: Option<NonNull<Entry>>,
    next: Option<NonNull<Entry>>,
}

/// Does nothing: what the vtable of [`no_waker`] calls.
fn ignore(_: *const ()) {}

/// Clones [`no_waker`].
fn clone_no_waker(_: *const ()) -> RawWaker {
    RawWaker::new(core::ptr::null(), &NO_WAKER)
}

/// The vtable of [`no_waker`]: a `static`, so every copy of it has one
/// address (`is_no_waker`).
static NO_WAKER: RawWakerVTable = RawWakerVTable::new(clone_no_waker, ignore, ignore, ignore);

/// The waker of a node that has none: a waker that does nothing, in place
/// of `Option<Waker>`'s `None`. `None` leaves the waker's data word
/// undefined, and a wait future built with one, then moved into its task
/// (as every `.await` of a fresh wait does), is copied in 16-byte pieces
/// across that word and the stores just made next to it: a store-forwarding
/// stall on each such piece, measured in `handoff` (BENCHMARKS.md). A null
/// data pointer and a static vtable are defined bytes throughout.
#[inline]
fn no_waker() -> Waker {
    // SAFETY: `RawWaker`'s contract: every function of `NO_WAKER` ignores
    // the data pointer (null) and does nothing, so it is thread-safe and
    // valid for any number of calls, and `clone_no_waker` returns a
    // `RawWaker` with this same vtable.
    unsafe { Waker::from_raw(RawWaker::new(core::ptr::null(), &NO_WAKER)) }
}

/// Whether `waker` is [`no_waker`] (debug checks).
fn is_no_waker(waker: &Waker) -> bool {
    waker.will_wake(&no_waker())
}

/// The list itself, behind the lock: every entry in it is `LINKED`, in
/// `listen` order.
struct Links {
    head: Option<NonNull<Entry>>,
    tail: Option<NonNull<Entry>>,
    len: usize,
}

// SAFETY: `Links` holds pointers to entries that other threads' futures own.
// It is only reached through the list's lock, and every entry it points
// to stays valid while linked: its owner unlinks it under that lock before
// the entry moves or drops (`listen`'s contract: the engine's pinned drop
// stops it). So
// sending the pointers with the lock sends nothing unsynchronised.
unsafe impl Send for Links {}

impl Links {
    /// Appends `entry`.
    ///
    /// # Safety
    ///
    /// The caller holds the list's lock, and `entry` is a pinned, valid entry
    /// in no list.
    unsafe fn push_back(&mut self, entry: NonNull<Entry>) {
        let prev = self.tail;
        // SAFETY: the caller's contract: `entry` is valid and ours under the
        // lock.
        unsafe {
            entry.as_ref().node.with_mut(|node| {
                (*node).prev = prev;
                (*node).next = None;
            });
        }
        match prev {
            // SAFETY: `prev` is linked (it is the tail), so valid, and its
            // node is ours under the lock.
            Some(prev) => unsafe {
                prev.as_ref()
                    .node
                    .with_mut(|node| (*node).next = Some(entry))
            },
            None => self.head = Some(entry),
        }
        self.tail = Some(entry);
        self.len += 1;
    }

    /// Takes `entry` out of the list.
    ///
    /// # Safety
    ///
    /// The caller holds the list's lock, and `entry` is linked in this list.
    unsafe fn unlink(&mut self, entry: NonNull<Entry>) {
        // SAFETY: the caller's contract: `entry` and its neighbours are
        // linked, so valid, and their nodes are ours under the lock.
        unsafe {
            let (prev, next) = entry
                .as_ref()
                .node
                .with_mut(|node| ((*node).prev, (*node).next));
            match prev {
                Some(prev) => prev.as_ref().node.with_mut(|node| (*node).next = next),
                None => self.head = next,
            }
            match next {
                Some(next) => next.as_ref().node.with_mut(|node| (*node).prev = prev),
                None => self.tail = prev,
            }
        }
        self.len -= 1;
    }
}

/// Sets `PENDING` again when a waker's panic unwinds out of a batched
/// `notify_all`: its first round cleared it, so without this every later
/// `notify_all` would skip the listeners still linked behind the panic.
struct RearmOnUnwind<'a>(&'a NotifyList);

impl Drop for RearmOnUnwind<'_> {
    /// Takes the lock: wakers run outside it, so the unwinding thread does
    /// not hold it here.
    #[cold]
    fn drop(&mut self) {
        self.0.links.with_pending(|_| ());
    }
}

/// An `Observable`'s list of listening waiters.
pub(crate) struct NotifyList {
    links: ListLock<Links>,
}

impl NotifyList {
    loom_const_fn! {
        pub(crate) fn new() -> Self {
            NotifyList {
                links: ListLock::new(Links { head: None, tail: None, len: 0 }),
            }
        }
    }

    /// Wakes every listener linked before this call began (and perhaps some
    /// linked during it, which only costs them a look), or leaves them to a
    /// notify that runs alongside it: one whose first round cleared
    /// `PENDING` after they linked, and so counted them in its bound.
    #[inline]
    pub(crate) fn notify_all(&self) {
        // `PENDING` clear (S4 of `waiters.rs`): nobody linked since the last
        // notify began; done, with one load. Inline, and the rest out of
        // line: a setter whose waiters are all parked and woken already
        // (`contended`) does not set up `wake_pending`'s frame, whose batch
        // of wakers is 256 bytes (measured: `set-parked` 58 → 39
        // instructions).
        if self.links.is_pending() {
            self.wake_pending();
        }
    }

    /// `notify_all` once `PENDING` was found set.
    #[inline(never)]
    fn wake_pending(&self) {
        // One listener, the common hand-off, is taken without setting up a
        // batch (measured: 50 of 481 instructions of a one-waiter wake);
        // more: their number, for the batched rounds below. `None`: another
        // notifier took `PENDING` since.
        let first = self.links.take_pending(|links| match links.head {
            None => Ok(None),
            // SAFETY: the head is linked in this list.
            Some(entry) if links.len == 1 => Ok(Some(unsafe { Self::take(links, entry) })),
            Some(_) => Err(links.len),
        });
        // At most the entries linked at that first round: bounded, however
        // fast woken waiters listen again. Every entry linked before this
        // call that is still linked is among them, ahead of any entry linked
        // since (`listen` order), so it is taken.
        let mut left = match first {
            None => return,
            Some(Ok(single)) => return single.into_iter().for_each(Waker::wake),
            Some(Err(len)) => len,
        };
        // Forgotten on the way out; dropped only if a waker panics.
        let rearm = RearmOnUnwind(self);
        loop {
            // A constant, not `Default`: an array of `None`s without a call.
            const NONE: Option<Waker> = None;
            let mut batch = [NONE; WAKE_BATCH];
            let mut taken = 0;
            let more = self.links.with(|links| {
                while left > 0 && taken < WAKE_BATCH {
                    let Some(entry) = links.head else {
                        left = 0;
                        break;
                    };
                    // SAFETY: `entry` is the head, so linked in this list.
                    batch[taken] = Some(unsafe { Self::take(links, entry) });
                    taken += 1;
                    left -= 1;
                }
                left > 0
            });
            for waker in &mut batch[..taken] {
                if let Some(waker) = waker.take() {
                    waker.wake();
                }
            }
            // Every slot is `None` now: forgetting the array leaks nothing
            // and skips a drop loop over all of it. (A panicking waker
            // unwinds past this, and the array drops as usual.)
            core::mem::forget(batch);
            if !more {
                core::mem::forget(rearm);
                return;
            }
        }
    }
    /// Takes `entry` out of the list, and its waker, and marks it
    /// `NOTIFIED`: the notifier's last access to it.
    ///
    /// # Safety
    ///
    /// `links` is this list's, locked, and `entry` is linked in it (so
    /// valid, and its node ours until `NOTIFIED`).
    #[inline]
    unsafe fn take(links: &mut Links, entry: NonNull<Entry>) -> Waker {
        // SAFETY: the caller's contract.
        unsafe {
            links.unlink(entry);
            let waker = entry.as_ref().take_waker();
            // From here the owner may free it.
            entry.as_ref().state.store(NOTIFIED, Ordering::Release);
            waker
        }
    }
}

pin_project! {
    /// One waiter's place in a [`NotifyList`], pinned inside its wait
    /// future. It does not hold the list: the wait that owns it does, and
    /// passes it in (that keeps a wait future a word smaller).
    pub(crate) struct Listener {
        // The list points into it: it must not move while linked.
        #[pin]
        entry: Entry,
    }
}

// SAFETY: the entry's node is touched only by its owner, through
// `Pin<&mut Listener>` (while not `LINKED`, and once notified only after an
// Acquire load saw it), or under the list's lock (while `LINKED`); its
// state is an atomic; the waker inside is `Send + Sync`. So a listener may
// move to, and be shared with, another thread: through `&self` only
// `is_listening` and `has_listened`, atomic loads, are reachable.
unsafe impl Send for Listener {}
// SAFETY: as for `Send`.
unsafe impl Sync for Listener {}

impl Listener {
    pub(crate) fn new() -> Listener {
        Listener {
            entry: Entry {
                state: AtomicUsize::new(FRESH),
                node: UnsafeCell::new(Node {
                    waker: no_waker(),
                    prev: None,
                    next: None,
                }),
                _pinned: PhantomPinned,
            },
        }
    }

    /// Linked, or notified and not yet told so. Relaxed: the only change
    /// another thread makes is `LINKED` to `NOTIFIED`, and both answer
    /// `true`; the owner reads what it wrote itself.
    #[inline]
    pub(crate) fn is_listening(&self) -> bool {
        matches!(self.entry.state.load(Ordering::Relaxed), LINKED | NOTIFIED)
    }

    /// Listened since it was new or last [`stop`](Self::stop)ped. Relaxed,
    /// as for `is_listening`: every state another thread stores is one that
    /// has listened.
    #[inline]
    pub(crate) fn has_listened(&self) -> bool {
        self.entry.state.load(Ordering::Relaxed) != FRESH
    }

    /// Links this listener into `list`, to wake `waker`: every `notify_all`
    /// that begins after this returns wakes it. Runs `under_lock` while it
    /// holds the list's lock (the engine's registration publishes its window
    /// start there: `waiters.rs`).
    ///
    /// # Safety
    ///
    /// The listener is not listening (`!is_listening()`: linking it twice
    /// would corrupt the list). Until the caller has called
    /// [`stop`](Self::stop) with this same `list`, it passes `list` to every
    /// call that takes one, and does not drop the listener (the list points
    /// into it).
    pub(crate) unsafe fn listen(
        self: Pin<&mut Self>,
        list: &NotifyList,
        waker: &Waker,
        under_lock: impl FnOnce(),
    ) {
        let entry = self.entry();
        debug_assert!(!matches!(
            entry.state.load(Ordering::Relaxed),
            LINKED | NOTIFIED
        ));
        // Cloned before the lock; the node's `no_waker` is dropped after
        // it: a waker's code never runs under the lock.
        let mut waker = waker.clone();
        // W1 of `waiters.rs`: the acquire sets `PENDING`, in a SeqCst RMW.
        list.links.with_pending(|links| {
            under_lock();
            // SAFETY: the entry is not listening, so its node is ours; under
            // the lock it becomes the list's. It is pinned (`self` is), and
            // the caller unlinks it (`stop`) before it drops.
            unsafe {
                entry
                    .node
                    .with_mut(|node| core::mem::swap(&mut (*node).waker, &mut waker));
                links.push_back(NonNull::from(entry));
            }
            entry.state.store(LINKED, Ordering::Relaxed);
        });
    }

    /// `Ready` once notified (or when not listening): the listener then
    /// stops listening. Pending while linked in `list`, with `waker` to
    /// wake.
    pub(crate) fn poll_notified(
        self: Pin<&mut Self>,
        list: &NotifyList,
        waker: &Waker,
    ) -> Poll<()> {
        let entry = self.entry();
        match entry.state.load(Ordering::Acquire) {
            LINKED => {}
            // The notifier is done with the node (its Release store, read by
            // our Acquire load).
            NOTIFIED => {
                entry.reclaim();
                return Poll::Ready(());
            }
            _ => return Poll::Ready(()),
        }
        entry.poll_linked(list, waker)
    }

    /// Stops listening, unlinking the node from `list` if it is still
    /// linked, and forgets that it listened: `FRESH` again, whatever the
    /// state was, so nothing can leave a linked node looking unlinked.
    #[inline]
    pub(crate) fn stop(self: Pin<&mut Self>, list: &NotifyList) {
        let entry = self.entry();
        match entry.state.load(Ordering::Acquire) {
            LINKED => {}
            // As in `poll_notified`: the node is ours.
            NOTIFIED => {
                entry.reclaim();
                return entry.state.store(FRESH, Ordering::Relaxed);
            }
            _ => return entry.state.store(FRESH, Ordering::Relaxed),
        }
        entry.unlink_cancelled(list);
    }

    /// Blocks the thread until notified: `false` if `deadline` passed first.
    /// The listener must listen with a waker that unparks this thread
    /// ([`thread_waker`]).
    #[cfg(all(feature = "std", not(loom)))]
    pub(crate) fn wait_blocking(
        self: Pin<&mut Self>,
        deadline: Option<std::time::Instant>,
    ) -> bool {
        let entry = self.entry();
        loop {
            match entry.state.load(Ordering::Acquire) {
                LINKED => {}
                NOTIFIED => {
                    entry.reclaim();
                    return true;
                }
                _ => return true,
            }
            // Spurious unparks only loop.
            match deadline {
                None => std::thread::park(),
                Some(deadline) => {
                    let now = std::time::Instant::now();
                    if now >= deadline {
                        return false;
                    }
                    std::thread::park_timeout(deadline - now);
                }
            }
        }
    }

    /// The entry, shared: the list's pointers alias it, so no `&mut` to it
    /// is ever made.
    #[inline]
    fn entry(self: Pin<&mut Self>) -> &Entry {
        self.project().entry.into_ref().get_ref()
    }
}

impl Entry {
    /// `poll_notified` of a node still linked: a poll without a notify
    /// (another future of the task woke it), which may bring a different
    /// waker. Out of line, as `unlink_cancelled`.
    #[cold]
    #[inline(never)]
    fn poll_linked(&self, list: &NotifyList, waker: &Waker) -> Poll<()> {
        let entry = self;
        // The new waker is cloned, and the old one dropped, outside the
        // lock: a waker's code never runs under it.
        let mut fresh: Option<Waker> = None;
        loop {
            let done = list.links.with(|_| {
                if entry.state.load(Ordering::Relaxed) == NOTIFIED {
                    return Some(Poll::Ready(()));
                }
                // SAFETY: still `LINKED`, and we hold the lock: the node is
                // ours.
                entry.node.with_mut(|node| unsafe {
                    let held = &mut (*node).waker;
                    if held.will_wake(waker) {
                        Some(Poll::Pending)
                    } else if let Some(fresh) = &mut fresh {
                        core::mem::swap(held, fresh);
                        Some(Poll::Pending)
                    } else {
                        None
                    }
                })
            });
            match done {
                Some(Poll::Ready(())) => {
                    entry.reclaim();
                    return Poll::Ready(());
                }
                // `fresh` holds the stale waker now, if any: dropped here.
                Some(Poll::Pending) => return Poll::Pending,
                None => fresh = Some(waker.clone()),
            }
        }
    }

    /// `stop` of a node that was still linked: a wait dropped (or timed
    /// out) before its notify. Out of line, so that the usual stop, of a
    /// notified node, stays a few instructions in the caller (measured:
    /// 383 against 358 instructions per woken wait, 36,402 against 32,375
    /// per 64-waiter round).
    #[cold]
    #[inline(never)]
    fn unlink_cancelled(&self, list: &NotifyList) {
        let entry = self;
        let waker = list.links.with(|links| {
            // A notifier may have taken it out since our load; the lock
            // orders its accesses before ours.
            if entry.state.load(Ordering::Relaxed) != LINKED {
                return None;
            }
            // SAFETY: `LINKED` in `list` (the caller's contract from
            // `listen`), and we hold its lock.
            unsafe {
                links.unlink(NonNull::from(entry));
                Some(entry.take_waker())
            }
        });
        entry.state.store(FRESH, Ordering::Relaxed);
        drop(waker);
    }
}

/// A waker that unparks the calling thread, for [`Listener::wait_blocking`].
///
/// One per thread, made on its first blocking wait and cloned (a reference
/// count) for every later one, so a blocking wait allocates nothing after
/// the thread's first. A thread whose locals are already torn down (a
/// blocking wait in a thread-local's destructor) gets a fresh one.
#[cfg(all(feature = "std", not(loom)))]
pub(crate) fn thread_waker() -> Waker {
    struct Unpark(std::thread::Thread);

    impl std::task::Wake for Unpark {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &std::sync::Arc<Self>) {
            self.0.unpark();
        }
    }

    fn unpark_this_thread() -> Waker {
        Waker::from(std::sync::Arc::new(Unpark(std::thread::current())))
    }

    std::thread_local! {
        static THIS_THREAD: Waker = unpark_this_thread();
    }

    THIS_THREAD
        .try_with(Waker::clone)
        .unwrap_or_else(|_| unpark_this_thread())
}

/// The list alone, with and without `std` (the tests bring std along): Miri
/// runs these under both aliasing models in CI.
#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use core::pin::pin;
    use core::sync::atomic::AtomicUsize;
    use std::boxed::Box;
    use std::sync::Arc;
    use std::task::Wake;
    use std::vec::Vec;

    /// Counts its wakes.
    #[derive(Default)]
    struct Count(AtomicUsize);

    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn counting() -> (Arc<Count>, Waker) {
        let count = Arc::new(Count::default());
        (count.clone(), Waker::from(count))
    }

    fn woken(count: &Count) -> usize {
        count.0.load(Ordering::Relaxed)
    }

    fn len(list: &NotifyList) -> usize {
        list.links.with(|links| links.len)
    }

    #[test]
    fn notify_all_wakes_every_listener_once_across_batches() {
        let list = NotifyList::new();
        let n = 2 * WAKE_BATCH + 3;
        let wakers: Vec<_> = (0..n).map(|_| counting()).collect();
        let mut listeners: Vec<Pin<Box<Listener>>> =
            (0..n).map(|_| Box::pin(Listener::new())).collect();
        for (listener, (_, waker)) in listeners.iter_mut().zip(&wakers) {
            // SAFETY: every call passes `list`; each is stopped below.
            unsafe { listener.as_mut().listen(&list, waker, || ()) };
        }
        assert_eq!(len(&list), n);
        list.notify_all();
        assert_eq!(len(&list), 0);
        for (listener, (count, waker)) in listeners.iter_mut().zip(&wakers) {
            assert_eq!(woken(count), 1);
            assert!(listener.as_mut().poll_notified(&list, waker).is_ready());
            assert!(!listener.is_listening());
            assert!(listener.has_listened());
            listener.as_mut().stop(&list);
        }
        // A second notify finds nobody.
        list.notify_all();
        assert!(wakers.iter().all(|(count, _)| woken(count) == 1));
    }

    #[test]
    fn a_stopped_listener_is_unlinked_and_not_woken() {
        let list = NotifyList::new();
        let wakers: Vec<_> = (0..3).map(|_| counting()).collect();
        let mut listeners: Vec<Pin<Box<Listener>>> =
            (0..3).map(|_| Box::pin(Listener::new())).collect();
        for (listener, (_, waker)) in listeners.iter_mut().zip(&wakers) {
            // SAFETY: every call passes `list`; each is stopped below.
            unsafe { listener.as_mut().listen(&list, waker, || ()) };
        }
        listeners[1].as_mut().stop(&list);
        assert_eq!(len(&list), 2);
        list.notify_all();
        let counts: Vec<usize> = wakers.iter().map(|(count, _)| woken(count)).collect();
        assert_eq!(counts, [1, 0, 1]);
        for listener in &mut listeners {
            listener.as_mut().stop(&list);
        }
    }

    #[test]
    fn a_poll_while_linked_swaps_in_the_new_waker() {
        let list = NotifyList::new();
        let (first, first_waker) = counting();
        let (second, second_waker) = counting();
        let mut listener = pin!(Listener::new());
        // SAFETY: every call passes `list`; stopped below.
        unsafe { listener.as_mut().listen(&list, &first_waker, || ()) };
        // The list holds a clone of each waker it is given, and only one.
        assert_eq!(Arc::strong_count(&first), 3);
        let pending = listener.as_mut().poll_notified(&list, &first_waker);
        assert!(pending.is_pending());
        assert_eq!(Arc::strong_count(&first), 3);
        let pending = listener.as_mut().poll_notified(&list, &second_waker);
        assert!(pending.is_pending());
        let counts = (Arc::strong_count(&first), Arc::strong_count(&second));
        assert_eq!(counts, (2, 3));
        list.notify_all();
        assert_eq!((woken(&first), woken(&second)), (0, 1));
        assert!(listener
            .as_mut()
            .poll_notified(&list, &second_waker)
            .is_ready());
        listener.as_mut().stop(&list);
    }

    /// A waker that panics in a batched notify leaves the listeners still
    /// linked behind its batch to the next notify (`PENDING` set again),
    /// rather than to the next listener.
    #[test]
    fn a_panicking_waker_leaves_the_rest_to_the_next_notify() {
        struct Panics;
        impl Wake for Panics {
            fn wake(self: Arc<Self>) {
                panic!("a waker that panics");
            }
        }
        let list = NotifyList::new();
        let panics = Waker::from(Arc::new(Panics));
        let behind: Vec<_> = (0..WAKE_BATCH + 2).map(|_| counting()).collect();
        let mut first = Box::pin(Listener::new());
        let mut listeners: Vec<Pin<Box<Listener>>> = (0..behind.len())
            .map(|_| Box::pin(Listener::new()))
            .collect();
        // SAFETY: every call passes `list`; each is stopped below.
        unsafe { first.as_mut().listen(&list, &panics, || ()) };
        for (listener, (_, waker)) in listeners.iter_mut().zip(&behind) {
            // SAFETY: as above.
            unsafe { listener.as_mut().listen(&list, waker, || ()) };
        }
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| list.notify_all()));
        assert!(unwound.is_err());
        // The first batch (the panicking waker and 15 more) is spent; the
        // three behind it are still linked.
        assert_eq!(len(&list), 3);
        list.notify_all();
        assert_eq!(len(&list), 0);
        let woken_behind: Vec<usize> = behind.iter().map(|(count, _)| woken(count)).collect();
        assert_eq!(&woken_behind[WAKE_BATCH - 1..], [1, 1, 1]);
        first.as_mut().stop(&list);
        for listener in &mut listeners {
            listener.as_mut().stop(&list);
        }
    }

    /// Wakers run outside the lock: one that listens again on the same list
    /// neither deadlocks nor keeps `notify_all` going (it takes only the
    /// listeners linked when it began).
    #[test]
    fn a_waker_may_listen_on_the_same_list() {
        struct Relisten {
            list: &'static NotifyList,
            listener: std::sync::Mutex<Option<Pin<Box<Listener>>>>,
            woken: AtomicUsize,
        }
        impl Wake for Relisten {
            fn wake(self: Arc<Self>) {
                self.woken.fetch_add(1, Ordering::Relaxed);
                let waker = Waker::from(self.clone());
                let mut slot = self.listener.lock().unwrap();
                let listener = slot.get_or_insert_with(|| Box::pin(Listener::new()));
                listener.as_mut().stop(self.list);
                // SAFETY: every call passes `self.list`; stopped below.
                unsafe { listener.as_mut().listen(self.list, &waker, || ()) };
            }
        }
        static LIST: NotifyList = NotifyList::new();
        let list = &LIST;
        for listeners in [1, 2, WAKE_BATCH + 1] {
            let relisten = Arc::new(Relisten {
                list,
                listener: std::sync::Mutex::new(None),
                woken: AtomicUsize::new(0),
            });
            let waker = Waker::from(relisten.clone());
            let mut parked: Vec<Pin<Box<Listener>>> =
                (0..listeners).map(|_| Box::pin(Listener::new())).collect();
            for listener in &mut parked {
                // SAFETY: every call passes `list`; each is stopped below.
                unsafe { listener.as_mut().listen(list, &waker, || ()) };
            }
            list.notify_all();
            assert_eq!(relisten.woken.load(Ordering::Relaxed), listeners);
            // The waker's own listener is linked again, not yet woken.
            assert_eq!(len(list), 1);
            for listener in &mut parked {
                listener.as_mut().stop(list);
            }
            let mut own = relisten.listener.lock().unwrap().take().unwrap();
            own.as_mut().stop(list);
            assert_eq!(len(list), 0);
        }
    }
}
