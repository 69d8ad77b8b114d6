//! The waiter protocol: the count of registered waiters, the notify list
//! and its `PENDING` bit (`list_lock.rs`: "a listener linked since the last
//! notify began"), both sides of the handshake on them, and the argument
//! that no wakeup is lost. Everything else that takes part (the state word,
//! the ledger, the history ring, the wait engine, the list) points here.
//!
//! | registered | `PENDING` | a setter, after its CAS                                         |
//! |------------|-----------|-----------------------------------------------------------------|
//! | `0`        | either    | nothing more: one load                                          |
//! | `n`        | clear     | records its ledger entry (\*); one more load, no lock           |
//! | `n`        | set       | records (\*), takes the lock clearing `PENDING`, wakes the list |
//!
//! (\*) Unless its slot already holds an entry of the same one-value
//! variant inside every registered window: the window starts W1 publishes
//! tell it so (`ledger::record_entry_unless_held`).
//!
//! # The handshake
//!
//! A waiter, once its first look (which saw version `v0`) found nothing:
//!
//! * **W1** [`listen_and_arm`](Waiters::listen_and_arm): listen on the
//!   notify list. The acquire of the list's lock sets `PENDING`, in one
//!   SeqCst RMW, and the node is linked before the lock is released. On
//!   the first listen of this wait it also publishes, under the lock, where
//!   its window starts (`ledger::publish_window`);
//! * **W2** count itself, in a SeqCst RMW (only on its first listen of this
//!   wait: a waiter woken and listening again is counted already);
//! * **W3** look again with SeqCst loads (`StateWord::read_in_order`, the
//!   ledger, the ring) for entries after `v0`; park if it found nothing.
//!   Woken, it looks again; if that finds nothing its listener is spent,
//!   so it goes back to W1.
//!
//! A setter, after its transition:
//!
//! * **S1** its CAS on the state word (SeqCst), then its ring writes (SeqCst);
//! * in [`after_transition`](Waiters::after_transition): **S2** a SeqCst
//!   load of the count, and if it is 0, stop; **S3** the ledger write
//!   (SeqCst), left out if the slot already holds an entry that every
//!   published window holds; **S4** `notify_all`: a SeqCst load of the lock byte, and if
//!   `PENDING` is set, take the lock clearing it, and wake every node.
//!
//! # Why no wakeup is lost
//!
//! The accesses above are SeqCst, so they sit in one total order.
//!
//! * **Registration.** If S2 comes before a waiter's W2 (it read 0, say),
//!   that waiter's W3 comes after S1 and sees it in the word: nothing needs
//!   waking, and only a transition that raced the waiter's first poll goes
//!   unrecorded (with other waiters counted, the setter may also leave its
//!   entry out for their windows, which need not hold this waiter's). A
//!   setter whose S2 comes after W2 (one that saw `waiter_count() > 0`
//!   before it set, say) records its entry, at a version after `v0`, or
//!   finds one of the same value there already, after `v0`: W1 published
//!   a start at or after `v0` before W2, so S2, which reads W2 or a later
//!   RMW of the count, makes the setter see that start or a later one
//!   when it decides to leave its entry out, and it leaves it out only for
//!   a start at or before its entry (`ledger::record_entry_unless_held`).
//! * **Arming.** If S4's load comes before a waiter's W1, S1 and S3 come
//!   before its W3, which sees the transition. If it comes after, it and
//!   every later read of the byte in the setter's acquire read W1's byte or
//!   a later one. Every write of the byte is a CAS from a free byte or the
//!   holder's release, so whichever acquire first clears `PENDING` after W1
//!   does so after W1's hold released the lock, finds the node linked (or
//!   taken by an earlier notify, which woke it), and counts it in its
//!   bound, so its notify wakes it: this setter's, or another's that ran
//!   alongside. The woken waiter looks again, and listens (W1) again before
//!   it parks, so the argument repeats until it finds what the transition
//!   left; it ends, because each further wake needs another notifier's
//!   clear of `PENDING` after the newer W1, and setters are finite in any
//!   run. `PENDING` is only cleared by an acquire that then takes the list,
//!   so no listener is left un-woken behind a clear bit.
//!
//! Setting `PENDING` anywhere but in the acquire that links breaks the
//! second case: set before linking, as its own RMW, a notify in between
//! clears it and misses the node, and the next one skips (the loom model
//! `a_woken_waiter_listens_again_between_two_setters` catches that
//! mutation, `arm-first`); dropped by a later hold's release, the next
//! notify skips a linked node (the unit tests of `list_lock.rs` catch that).
//!
//! What this buys: with no waiter, `set` is its CAS and one load; once every
//! waiter is woken, setters skip the notify list (and its lock) until one
//! listens again; and arming costs a listener nothing over the lock it
//! takes anyway. Each side also passes a
//! [`seqcst_order_point`](crate::sync::seqcst_order_point) (a fence, loom
//! only) between its steps.

use core::pin::Pin;
use core::task::Waker;

use crate::notify::{Listener, NotifyList};
use crate::sync::{loom_const_fn, seqcst_order_point, AtomicUsize, Ordering};

/// Registered waiters and the notify list (module docs).
pub(crate) struct Waiters {
    registered: AtomicUsize,
    list: NotifyList,
}

impl Waiters {
    loom_const_fn! {
        /// Nobody waiting.
        pub(crate) fn new() -> Self {
            Waiters {
                registered: AtomicUsize::new(0),
                list: NotifyList::new(),
            }
        }
    }

    /// Registered waiters, for diagnostics. Relaxed: a snapshot.
    pub(crate) fn count(&self) -> usize {
        self.registered.load(Ordering::Relaxed)
    }

    /// W1 and W2: listens (which sets `PENDING`), then counts this waiter
    /// on its first listen in this wait ([`Listener::has_listened`] is
    /// "registered" from then on, until [`unregister`](Self::unregister)).
    /// On that first listen, `publish` runs under the list's lock, before
    /// the count: the wait publishes its window start there
    /// (`ledger::publish_window`). The caller looks again, with SeqCst
    /// loads, before it parks.
    ///
    /// # Safety
    ///
    /// [`Listener::listen`]'s, with this observable's list: `list()`.
    #[inline]
    pub(crate) unsafe fn listen_and_arm(
        &self,
        listener: Pin<&mut Listener>,
        waker: &Waker,
        publish: impl FnOnce(),
    ) {
        let registered = listener.has_listened();
        // SAFETY: the caller's contract.
        unsafe {
            listener.listen(&self.list, waker, || {
                if !registered {
                    publish();
                }
            })
        };
        seqcst_order_point();
        if !registered {
            self.registered.fetch_add(1, Ordering::SeqCst);
            seqcst_order_point();
        }
    }

    /// Forgets one waiter counted by `listen_and_arm`: its wait completed,
    /// or was dropped. Relaxed: the count only lets setters skip work, and a
    /// late decrement costs a setter one needless ledger write or notify,
    /// never a missed one.
    #[inline]
    pub(crate) fn unregister(&self) {
        self.registered.fetch_sub(1, Ordering::Relaxed);
    }

    /// The notify list, for a listener's calls after `listen_and_arm`.
    #[inline]
    pub(crate) fn list(&self) -> &NotifyList {
        &self.list
    }

    /// S2 to S4, for a setter right after its transition (S1): `record`
    /// writes its ledger entry (S3). With no waiter registered, `set` ends
    /// at S2's load; with no listener linked since the last notify, at S4's.
    #[inline]
    pub(crate) fn after_transition(&self, record: impl FnOnce()) {
        seqcst_order_point();
        if self.registered.load(Ordering::SeqCst) == 0 {
            return;
        }
        record();
        seqcst_order_point();
        self.list.notify_all();
    }
}
