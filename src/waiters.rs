//! The waiter protocol: the notify list, the word that counts registered
//! waiters and says whether one is *armed*, both sides of the handshake on
//! them, and the argument that no wakeup is lost. Everything else that
//! takes part (the state word, the ledger, the history ring, the wait
//! engine) points here. The word: `ARMED` is its top bit, the count the rest.
//!
//! | word         | meaning                                                  | a setter                       |
//! |--------------|----------------------------------------------------------|--------------------------------|
//! | `0`          | nobody is waiting                                        | does nothing after its CAS     |
//! | `n`          | `n` registered, none armed since the last notify         | records ledger entries only    |
//! | `ARMED \| n` | `n` registered, one listened since the last notify       | records, clears `ARMED`, notifies all |
//! | `ARMED`      | a waiter armed and has since gone (completed or dropped) | clears `ARMED`, one needless notify |
//!
//! # The handshake
//!
//! A waiter, once its first look (which saw version `v0`) found nothing:
//!
//! * **W1** [`listen_and_arm`](Waiters::listen_and_arm): listen on the
//!   notify list (the node is linked under the list's lock), *then*
//! * **W2** count itself and set `ARMED`, in one SeqCst RMW (a waiter that
//!   is counted already, woken and listening again, only sets `ARMED`);
//! * **W3** look again with SeqCst loads (`StateWord::read_in_order`, the
//!   ledger, the ring) for entries after `v0`; park if it found nothing.
//!   Woken, it looks again; if that finds nothing its listener is spent,
//!   so it goes back to W1.
//!
//! A setter, after its transition:
//!
//! * **S1** its CAS on the state word (SeqCst), then its ring writes (SeqCst);
//! * in [`after_transition`](Waiters::after_transition): **S2** a SeqCst
//!   load of the word, and if it is 0, stop; **S3** if any waiter is
//!   registered, the ledger write (SeqCst); **S4** if `ARMED` is set, clear
//!   it (SeqCst RMW) and, if this call cleared it, notify every listener.
//!
//! # Why no wakeup is lost
//!
//! All the accesses above are SeqCst, so they sit in one total order.
//!
//! * **Registration.** If S2 comes before a waiter's W2 (it read 0, say),
//!   that waiter's W3 comes after S1 and sees it in the word: nothing needs
//!   waking, and only a transition that raced the waiter's first poll goes
//!   unrecorded. A setter whose S2 comes after W2 (one that saw
//!   `waiter_count() > 0` before it set, say) records its entry, at a
//!   version after `v0`.
//! * **Arming.** If S4 finds `ARMED` clear, either S4 comes before the W2 of
//!   a listening waiter, so S1 and S3 come before its W3 and W3 sees the
//!   transition; or another setter cleared `ARMED` after that W2, and that
//!   setter notified everyone listening, this waiter included, because it
//!   listened *before* arming (the notify-list seam: a notify that begins
//!   after `listen` is seen). The woken waiter looks again, and re-arms
//!   before it parks again, so the argument repeats until it finds what the
//!   transition left. Whoever clears `ARMED` notifies, so no listener is left
//!   un-woken behind a clear flag.
//!
//! Arming *before* listening breaks the second case: a notify between the
//! two is missed, and the setter that cleared `ARMED` leaves the next one to
//! skip. `tests/loom.rs` has the model that catches that order.
//!
//! Counting and arming in one RMW, after listening, costs a waiter one
//! locked instruction and one look fewer than counting first and looking
//! in between: the look in between only found transitions that raced the
//! first poll, and W3 finds those too.
//!
//! What this buys: with no waiter, `set` is its CAS and one load; once every
//! waiter is woken, setters skip the notify list (and its lock) until one
//! arms again. Each side also passes a
//! [`seqcst_order_point`](crate::sync::seqcst_order_point) (a fence, loom only).

use core::pin::Pin;
use core::task::Waker;

use crate::notify::{Listener, NotifyList};
use crate::sync::{loom_const_fn, seqcst_order_point, AtomicUsize, Ordering};

/// The top bit: some waiter listened since the last notify.
const ARMED: usize = 1 << (usize::BITS - 1);

/// Registered waiters, the `ARMED` flag and the notify list (module docs).
pub(crate) struct Waiters {
    word: AtomicUsize,
    list: NotifyList,
}

impl Waiters {
    loom_const_fn! {
        /// Nobody waiting.
        pub(crate) fn new() -> Self {
            Waiters {
                word: AtomicUsize::new(0),
                list: NotifyList::new(),
            }
        }
    }

    /// Registered waiters, for diagnostics. Relaxed: a snapshot.
    pub(crate) fn count(&self) -> usize {
        self.word.load(Ordering::Relaxed) & !ARMED
    }

    /// W1 and W2: listens, then counts this waiter (on its first listen in
    /// this wait: [`Listener::has_listened`] is "registered" from then on,
    /// until [`unregister`](Self::unregister)) and arms, in one RMW. The
    /// caller looks again, with SeqCst loads, before it parks.
    ///
    /// # Safety
    ///
    /// [`Listener::listen`]'s, with this observable's list: `list()`.
    #[inline]
    pub(crate) unsafe fn listen_and_arm(&self, listener: Pin<&mut Listener>, waker: &Waker) {
        let registered = listener.has_listened();
        // SAFETY: the caller's contract.
        unsafe { listener.listen(&self.list, waker) };
        if registered {
            self.word.fetch_or(ARMED, Ordering::SeqCst);
        } else {
            // W2 is the successful RMW (SeqCst); the loads before it are
            // only guesses at the word, so Relaxed.
            let _ = self
                .word
                .fetch_update(Ordering::SeqCst, Ordering::Relaxed, |word| {
                    Some((word + 1) | ARMED)
                });
        }
        seqcst_order_point();
    }

    /// Forgets one waiter counted by `listen_and_arm`: its wait completed,
    /// or was dropped. Relaxed: the count only lets setters skip work, and a
    /// late decrement costs a setter one needless ledger write or notify,
    /// never a missed one.
    #[inline]
    pub(crate) fn unregister(&self) {
        self.word.fetch_sub(1, Ordering::Relaxed);
    }

    /// The notify list, for a listener's calls after `listen_and_arm`.
    #[inline]
    pub(crate) fn list(&self) -> &NotifyList {
        &self.list
    }

    /// S2 to S4, for a setter right after its transition (S1): `record`
    /// writes its ledger entry (S3), called only if a waiter is registered.
    /// The plain load before the RMW of S4 keeps a locked instruction off
    /// `set` while nobody is armed.
    #[inline]
    pub(crate) fn after_transition(&self, record: impl FnOnce()) {
        seqcst_order_point();
        let word = self.word.load(Ordering::SeqCst);
        if word == 0 {
            return;
        }
        if word & !ARMED != 0 {
            record();
        }
        seqcst_order_point();
        if self.word.load(Ordering::SeqCst) & ARMED != 0
            && self.word.fetch_and(!ARMED, Ordering::SeqCst) & ARMED != 0
        {
            self.list.notify_all();
        }
    }
}
