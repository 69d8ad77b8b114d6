//! The waiter protocol: the count of registered waiters, the notify list
//! and its `PENDING` bit (`list_lock.rs`: "a listener linked since the last
//! notify began"), both sides of the handshake on them, the argument that
//! no wakeup is lost, and the release of a registration by the notify that
//! completes its wait. Everything else that takes part (the state word, the
//! ledger, the history ring, the wait engine, the list) points here.
//!
//! | registered | `PENDING` | a setter, after its CAS                                   |
//! |------------|-----------|-----------------------------------------------------------|
//! | `0`        | either    | nothing more: one load                                    |
//! | `n`        | clear     | records ledger entries; one more load, no lock            |
//! | `n`        | set       | records, takes the lock clearing `PENDING`, wakes the list, uncounts the waits it released |
//!
//! # The handshake
//!
//! A waiter, once its first look (which saw version `v0`) found nothing, in
//! [`listen_and_arm`](Waiters::listen_and_arm):
//!
//! * **W1** count itself, in a SeqCst RMW (only on its first listen of this
//!   wait: a waiter woken and listening again is counted already, unless
//!   its notify released it, below); then say which transitions end it
//!   (`Check::ends_on`, which runs the predicate);
//! * **W2** listen on the notify list. The acquire of the list's lock sets
//!   `PENDING`, in one SeqCst RMW, and the node is linked before the lock
//!   is released;
//! * **W3** look again with SeqCst loads (`StateWord::read_in_order`, the
//!   ledger, the ring) for entries after `v0`; park if it found nothing.
//!   Woken, it looks again; if that finds nothing its listener is spent,
//!   so it goes back to W2 (W1 too, if it was released).
//!
//! A setter, after its transition:
//!
//! * **S1** its CAS on the state word (SeqCst), then its ring writes (SeqCst);
//! * in [`after_transition`](Waiters::after_transition): **S2** a SeqCst
//!   load of the count, and if it is 0, stop; **S3** the ledger write
//!   (SeqCst); **S4** `notify_all`: a SeqCst load of the lock byte, and if
//!   `PENDING` is set, take the lock clearing it, and wake every node;
//!   then uncount, in one RMW, the waits that notify released.
//!
//! # Why no wakeup is lost
//!
//! The accesses above are SeqCst, so they sit in one total order.
//!
//! * **Registration.** If S2 comes before a waiter's W1 (it read 0, say),
//!   that waiter's W3 comes after S1 and sees it in the word: nothing needs
//!   waking, and only a transition that raced the waiter's first poll goes
//!   unrecorded. A setter whose S2 comes after W1 (one that saw
//!   `waiter_count() > 0` before it set, say) records its entry, at a
//!   version after `v0`.
//! * **Arming.** If S4's load comes before a waiter's W2, S1 and S3 come
//!   before its W3, which sees the transition. If it comes after, it and
//!   every later read of the byte in the setter's acquire read W2's byte or
//!   a later one. Every write of the byte is a CAS from a free byte or the
//!   holder's release, so whichever acquire first clears `PENDING` after W2
//!   does so after W2's hold released the lock, finds the node linked (or
//!   taken by an earlier notify, which woke it), and counts it in its
//!   bound, so its notify wakes it: this setter's, or another's that ran
//!   alongside. The woken waiter looks again, and listens (W2) again before
//!   it parks, so the argument repeats until it finds what the transition
//!   left; it ends, because each further wake needs another notifier's
//!   clear of `PENDING` after the newer W2, and setters are finite in any
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
//! # Released
//!
//! A wait says, at W1, which transitions surely complete it: a bit per
//! ledger variant ([`variant_bit`]) and [`ANY_TRANSITION`], kept in its node
//! (`Check::ends_on`: `changed` ends on any transition; a level or next
//! wait without a ring on an entry of a variant with one value that it
//! matches). A notify for a transition with one of those bits marks the node
//! `RELEASED` instead of `NOTIFIED`, and the setter takes those waits off
//! the count, one RMW for all of them; a released wait does not uncount
//! itself when it completes or is dropped (`Listener::stop` says so). In a
//! fan-out of `K` woken waits that is one RMW on the count instead of `K`,
//! each on the line the setters write.
//!
//! Why it is sound:
//!
//! * **The released wait needs no further entry.** The transition that
//!   released it was recorded (S3) before its notify (S4), and the wait's
//!   next look (after its Acquire load of `RELEASED`) finds that entry, or a
//!   later entry of the same variant, in its window: a slot only moves
//!   forward. A variant with one value matches the wait whatever its entry.
//! * **No other wait loses its count.** The setter uncounts only waits it
//!   released, each of which counted itself (W1) before it linked (W2), and
//!   the setter took the lock after that link: the increment comes first in
//!   the count's order, so the count never drops below the waits still
//!   registered, and a setter whose S2 comes after another wait's W1 still
//!   records (the loom model `a_released_wait_takes_no_other_waits_count`
//!   catches counting after the link, `count-after-link`, and a released
//!   wait that uncounts itself too, `unregister-released`).
//! * **What the wait returns** is a matching entry made since `v0`, as
//!   before; with nobody else registered, entries after the release are
//!   not recorded, so it is the releasing one or an earlier one (the fuzz
//!   model in `fuzz/src/ops.rs` tracks which entries are recorded).
//!
//! Not released: a variant that carries data (its entry may not match); a
//! wait with a history ring (its scan can stop at a transition whose ring
//! write is still to land, and look again later); a level-triggered state's
//! waits other than `changed`; subscribers; variants 31 and up.
//!
//! What this buys: with no waiter, `set` is its CAS and one load; once every
//! waiter is woken, setters skip the notify list (and its lock) until one
//! listens again; arming costs a listener nothing over the lock it takes
//! anyway; and a woken wait that its notify released completes without a
//! locked instruction of its own. Each side also passes a
//! [`seqcst_order_point`](crate::sync::seqcst_order_point) (a fence, loom
//! only) between its steps.

use core::pin::Pin;
use core::task::Waker;

use crate::notify::{Listener, NotifyList};
use crate::sync::{loom_const_fn, seqcst_order_point, AtomicUsize, Ordering};

/// In every transition's bits: a wait that ends on it ends on any
/// transition (`changed`).
pub(crate) const ANY_TRANSITION: u32 = 1 << 31;

/// The bit of a transition into ledger variant `index`, in a transition's
/// bits and in a wait's `ends_on`: variants 31 and up have none, so their
/// waits are never released, only notified.
#[inline]
pub(crate) const fn variant_bit(index: usize) -> u32 {
    if index < 31 {
        1 << index
    } else {
        0
    }
}

/// Takes back a count whose wait unwound before it linked (a panicking
/// predicate in `listen_and_arm`); forgotten on the normal path.
struct UnregisterOnUnwind<'a>(&'a Waiters);

impl Drop for UnregisterOnUnwind<'_> {
    #[cold]
    fn drop(&mut self) {
        self.0.unregister();
    }
}

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

    /// W1 and W2: counts this waiter if it is not counted yet (its first
    /// listen in this wait, or its first since a notify released it), asks
    /// `ends_on` for the transitions that end it, then listens (which sets
    /// `PENDING`). [`Listener::has_listened`] says "counted" from then on,
    /// until the wait [`unregister`](Self::unregister)s or a notify
    /// releases it. The caller looks again, with SeqCst loads, before it
    /// parks.
    ///
    /// # Safety
    ///
    /// [`Listener::listen`]'s, with this observable's list: `list()`.
    #[inline]
    pub(crate) unsafe fn listen_and_arm(
        &self,
        listener: Pin<&mut Listener>,
        waker: &Waker,
        ends_on: impl FnOnce() -> u32,
    ) {
        let ends_on = if listener.has_listened() {
            ends_on()
        } else {
            self.registered.fetch_add(1, Ordering::SeqCst);
            seqcst_order_point();
            // Until it links, the listener says "not registered" to its
            // engine's drop: a panic in `ends_on` (the wait's predicate)
            // must take the count back itself.
            let unwinding = UnregisterOnUnwind(self);
            let ends_on = ends_on();
            core::mem::forget(unwinding);
            ends_on
        };
        // SAFETY: the caller's contract.
        unsafe { listener.listen(&self.list, waker, ends_on) };
        seqcst_order_point();
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
    /// writes its ledger entry (S3); `transition` holds the transition's
    /// bits, for the waits it releases ("Released" above). With no waiter
    /// registered, `set` ends at S2's load; with no listener linked since
    /// the last notify, at S4's.
    #[inline]
    pub(crate) fn after_transition(&self, transition: u32, record: impl FnOnce()) {
        seqcst_order_point();
        if self.registered.load(Ordering::SeqCst) == 0 {
            return;
        }
        record();
        seqcst_order_point();
        let released = self.list.notify_all(transition);
        if released > 0 {
            // Relaxed: each released wait counted itself (W1) before it
            // linked, and this notifier took the lock after that link, so
            // this comes after that increment in the count's order.
            self.registered.fetch_sub(released, Ordering::Relaxed);
        }
    }
}
