//! Differential harness: operations decoded from bytes are applied to an
//! observable and to a plain sequential model (the first byte picks the
//! state: a fieldless enum, an enum whose variants carry data, or
//! `Option<u16>`), and after every step
//! the two must agree on the value, the version, which waits are complete and
//! with what value, and the number of registered waits. Waits are polled by
//! hand with counting wakers, so wakeups are checked too: a pending wait
//! whose condition became true must have been woken.
//!
//! A second observable with a history ring of [`RING`] transitions gets the
//! same transitions; subscribers on it must see exactly the model's history,
//! in order, or one `Lagged` with the exact count when they fell behind,
//! through `try_next_transition`, `changed`, the `until` adapter and the
//! owned `into_transitions`, with clones and `mark_unseen` in the mix. Some
//! transitions come from a `SetOnDrop` guard (or none, when it is disarmed).
//!
//! Used by the cargo-fuzz target `ops` and by `tests/model.rs`.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use futures_core::Stream;

use stateword::{Lagged, Observable, State, Subscriber, Transition};

#[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
pub enum Conn {
    Disconnected,
    Connecting,
    Connected,
    Closing,
    Closed,
}

pub const ALL: [Conn; 5] = [
    Conn::Disconnected,
    Conn::Connecting,
    Conn::Connected,
    Conn::Closing,
    Conn::Closed,
];

/// A state whose variants carry data: one ledger variant per enum variant,
/// each holding the latest entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
pub enum Link {
    Down,
    Up { peer: u8 },
    Closing,
    Closed { code: u16 },
}

/// A state the harness runs on, and the values it sets (at most 8: a
/// predicate is a bit mask over them).
pub trait Values: State + std::fmt::Debug {
    const ALL: &'static [Self];

    /// This value's place in `ALL`.
    fn position(self) -> usize {
        Self::ALL.iter().position(|v| *v == self).unwrap()
    }

    /// The `arg`-th value, wrapping.
    fn pick(arg: u8) -> Self {
        Self::ALL[arg as usize % Self::ALL.len()]
    }
}

impl Values for Conn {
    const ALL: &'static [Self] = &ALL;
}

impl Values for Link {
    const ALL: &'static [Self] = &[
        Link::Down,
        Link::Up { peer: 1 },
        Link::Up { peer: 2 },
        Link::Closing,
        Link::Closed { code: 1000 },
        Link::Closed { code: 1006 },
        Link::Closed { code: 0 },
    ];
}

/// `Option` of an integer: `None` and `Some` are the two ledger variants.
impl Values for Option<u16> {
    const ALL: &'static [Self] = &[None, Some(0), Some(80), Some(443)];
}

/// At most this many waits alive at once.
const MAX_WAITS: usize = 8;
/// History capacity of the second observable.
const RING: usize = 4;
/// At most this many subscribers alive at once.
const MAX_SUBSCRIBERS: usize = 3;

#[derive(Default)]
pub struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// `wait_for(pred)` with a predicate matching the variants in the mask.
    WaitFor,
    /// `wait_until(target)`.
    WaitUntil,
    /// `wait_for_next(pred)`.
    WaitForNext,
    /// `changed()`.
    Changed,
}

/// The model's view of one wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expected {
    NotPolled,
    /// Registered at version `v0`.
    Pending {
        v0: u64,
    },
    Done,
}

struct LiveWait<'a, S> {
    kind: Kind,
    mask: u8,
    future: Pin<Box<dyn Future<Output = S> + 'a>>,
    waker: Arc<CountingWaker>,
    wakes_at_last_poll: usize,
    expected: Expected,
}

impl<S: Values> LiveWait<'_, S> {
    fn matches(&self, s: S) -> bool {
        self.mask & (1 << s.position()) != 0
    }
}

/// The sequential reference: the value, every transition so far, and the
/// observable's ledger as its setters keep it.
struct Model<S> {
    initial: S,
    value: S,
    /// `history[i]` is the value entered at version `i + 1`.
    history: Vec<S>,
    /// The version of the entry each ledger variant's slot holds.
    slots: Vec<Option<u64>>,
    /// Registered waits, as the harness last counted them.
    registered: usize,
    /// The latest window start a registered wait published (every wait
    /// but `changed` publishes its `v0` as it registers).
    newest: u64,
}

impl<S: Values> Model<S> {
    fn version(&self) -> u64 {
        self.history.len() as u64
    }

    fn set(&mut self, s: S) -> S {
        let previous = self.value;
        if s != previous {
            self.value = s;
            self.history.push(s);
            self.record(s);
        }
        previous
    }

    /// What the setter of the transition just made does with the ledger:
    /// nothing without a registered wait; else it records the entry,
    /// unless the variant has one value and its slot holds an entry made
    /// after `newest` (one every registered wait's window holds).
    fn record(&mut self, s: S) {
        if self.registered == 0 {
            return;
        }
        let index = s.index();
        let held = self.slots[index].is_some_and(|v| v > self.newest);
        if !(S::from_index(index).is_some() && held) {
            self.slots[index] = Some(self.version());
        }
    }

    /// What `try_next_transition` must return to a subscriber at `cursor`,
    /// moving the cursor as the subscriber does.
    fn next_transition(&self, cursor: &mut u64) -> Option<Result<Transition<S>, Lagged>> {
        let current = self.version();
        if *cursor == current {
            return None;
        }
        let oldest = current.saturating_sub(RING as u64 - 1).max(1);
        if *cursor + 1 < oldest {
            let missed = oldest - 1 - *cursor;
            *cursor = oldest - 1;
            return Some(Err(Lagged { missed }));
        }
        let v = *cursor + 1;
        let from = if v == 1 {
            self.initial
        } else {
            self.history[v as usize - 2]
        };
        *cursor = v;
        Some(Ok(Transition {
            from,
            to: self.history[v as usize - 1],
            version: v,
        }))
    }

    /// What a registered wait would return now, or `None` if it must stay
    /// pending. A wait reports, of the variants whose slot holds an entry
    /// since `v0` that matches, the one entered earliest; the model keeps
    /// the slots as the setters do (`record`).
    fn outcome(&self, wait: &LiveWait<'_, S>, v0: u64) -> Option<S> {
        if wait.kind == Kind::Changed {
            return (self.version() > v0).then_some(self.value);
        }
        let found = self
            .slots
            .iter()
            .filter_map(|slot| {
                let at = slot.filter(|&v| v > v0)?;
                let entry = self.history[at as usize - 1];
                wait.matches(entry).then_some((at, entry))
            })
            .min_by_key(|(at, _)| *at)
            .map(|(_, s)| s);
        // The guarantee itself: whatever the slots hold, a wait finds an
        // entry exactly when one of the variants' last entries since `v0`
        // matches.
        let since = &self.history[v0 as usize..];
        let in_history = (0..S::VARIANTS).any(|variant| {
            since
                .iter()
                .rposition(|e| e.index() == variant)
                .is_some_and(|at| wait.matches(since[at]))
        });
        assert_eq!(found.is_some(), in_history, "the ledger lost an entry");
        found
    }
}

struct Bytes<'d>(&'d [u8]);

impl Bytes<'_> {
    fn next(&mut self) -> Option<u8> {
        let (first, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(*first)
    }
}

/// Runs `data` on one of the states: the first byte picks it (and the
/// initial value).
pub fn run(data: &[u8]) {
    let Some(&first) = data.first() else { return };
    match first % 3 {
        0 => run_on::<Conn>(data),
        1 => run_on::<Link>(data),
        _ => run_on::<Option<u16>>(data),
    }
}

fn run_on<S: Values>(data: &[u8]) {
    let mut bytes = Bytes(data);
    let Some(initial) = bytes.next() else { return };
    let initial = S::pick(initial / 3);
    let observable = Observable::new(initial);
    let mut model = Model {
        initial,
        value: initial,
        history: Vec::new(),
        slots: vec![None; S::VARIANTS],
        registered: 0,
        newest: 0,
    };
    let mut waits: Vec<LiveWait<'_, S>> = Vec::new();
    let ring: Observable<S, RING> = Observable::with_history(model.value);
    // Each subscriber with the model's cursor (the version it has seen) and
    // whether it was marked unseen since the cursor last moved.
    let mut subscribers: Vec<(Subscriber<'_, S, RING>, u64, bool)> = Vec::new();
    let noop = Waker::from(Arc::new(CountingWaker::default()));

    while let Some(op) = bytes.next() {
        let arg = bytes.next().unwrap_or(0);
        model.registered = waits
            .iter()
            .filter(|w| matches!(w.expected, Expected::Pending { .. }))
            .count();
        match op % 8 {
            // set
            0 => {
                let s = S::pick(arg);
                assert_eq!(ring.set(s), model.value);
                assert_eq!(observable.set(s), model.set(s));
            }
            // subscribe, drop, clone, or read a subscriber without waiting
            1 => {
                let cx = &mut Context::from_waker(&noop);
                let which = arg / 8;
                match arg % 8 {
                    0 if subscribers.len() < MAX_SUBSCRIBERS => {
                        subscribers.push((ring.subscribe(), model.version(), false));
                    }
                    4 if !subscribers.is_empty() && subscribers.len() < MAX_SUBSCRIBERS => {
                        let (sub, cursor, unseen) =
                            &subscribers[which as usize % subscribers.len()];
                        let copy = (sub.clone(), *cursor, *unseen);
                        subscribers.push(copy);
                    }
                    _ if subscribers.is_empty() => {}
                    1 => drop(subscribers.swap_remove(which as usize % subscribers.len())),
                    op => {
                        let i = which as usize % subscribers.len();
                        let (sub, cursor, unseen) = &mut subscribers[i];
                        match op {
                            3 => {
                                sub.mark_unseen();
                                *unseen = true;
                            }
                            5 => {
                                // `changed`, polled once: ready with the value
                                // now if the cursor is behind or unseen.
                                let got = Pin::new(&mut Box::pin(sub.changed())).poll(cx);
                                if *unseen || *cursor != model.version() {
                                    assert_eq!(got, Poll::Ready(model.value));
                                    (*cursor, *unseen) = (model.version(), false);
                                } else {
                                    assert_eq!(got, Poll::Pending);
                                }
                            }
                            6 => {
                                // `until` a target: the item that enters it
                                // is the last; the stream then ends.
                                let target = S::pick(which / 3);
                                let mut stream =
                                    Box::pin(sub.transitions().until(move |s| s == target));
                                let mut ended = false;
                                for _ in 0..2 {
                                    let got = stream.as_mut().poll_next(cx);
                                    if ended {
                                        assert_eq!(got, Poll::Ready(None));
                                        continue;
                                    }
                                    match model.next_transition(cursor) {
                                        Some(item) => {
                                            *unseen = false;
                                            ended = matches!(item, Ok(t) if t.to == target);
                                            assert_eq!(got, Poll::Ready(Some(item)));
                                        }
                                        None => assert_eq!(got, Poll::Pending),
                                    }
                                }
                            }
                            7 => {
                                // An owned stream of a clone: the original's
                                // cursor stays.
                                let mut copy = *cursor;
                                let mut stream = Box::pin(sub.clone().into_transitions());
                                let got = stream.as_mut().poll_next(cx);
                                match model.next_transition(&mut copy) {
                                    Some(item) => assert_eq!(got, Poll::Ready(Some(item))),
                                    None => assert_eq!(got, Poll::Pending),
                                }
                            }
                            _ => {
                                let expected = model.next_transition(cursor);
                                if expected.is_some() {
                                    *unseen = false;
                                }
                                assert_eq!(sub.try_next_transition(), expected);
                            }
                        }
                        assert_eq!(sub.version(), *cursor);
                        assert_eq!(sub.has_changed(), *unseen || *cursor != model.version());
                    }
                }
            }
            // compare_exchange
            2 => {
                let (current, new) = (S::pick(arg), S::pick(arg / 8));
                let expected = if model.value == current {
                    Ok(model.set(new))
                } else {
                    Err(model.value)
                };
                assert_eq!(observable.compare_exchange(current, new), expected);
                assert_eq!(ring.compare_exchange(current, new), expected);
            }
            // a guard that sets its state when dropped, or disarmed
            3 if arg % 4 == 3 => {
                let s = S::pick(arg / 4);
                let (guard, ring_guard) = (observable.set_on_drop(s), ring.set_on_drop(s));
                if (arg / 20) % 2 == 1 {
                    guard.disarm();
                    ring_guard.disarm();
                } else {
                    model.set(s);
                    drop((guard, ring_guard));
                }
            }
            // update: advance to the next value, giving up at the last one
            3 => {
                let step = |s: S| S::ALL.get(s.position() + 1).copied();
                let expected = match step(model.value) {
                    Some(next) => Ok(model.set(next)),
                    None => Err(model.value),
                };
                assert_eq!(observable.update(step), expected);
                assert_eq!(ring.update(step), expected);
            }
            // create a wait
            4 | 5 if waits.len() < MAX_WAITS => {
                let kind = [
                    Kind::WaitFor,
                    Kind::WaitUntil,
                    Kind::WaitForNext,
                    Kind::Changed,
                ][arg as usize % 4];
                let target = S::pick(arg / 4);
                let all = u8::MAX >> (8 - S::ALL.len());
                let mask = match kind {
                    Kind::WaitUntil => 1 << target.position(),
                    Kind::Changed => 0,
                    _ => (arg / 20) | (1 << target.position()),
                } & all;
                let future: Pin<Box<dyn Future<Output = S>>> = match kind {
                    Kind::WaitFor => {
                        Box::pin(observable.wait_for(move |s| mask & (1 << s.position()) != 0))
                    }
                    Kind::WaitUntil => Box::pin(observable.wait_until(target)),
                    Kind::WaitForNext => {
                        Box::pin(observable.wait_for_next(move |s| mask & (1 << s.position()) != 0))
                    }
                    Kind::Changed => Box::pin(observable.changed()),
                };
                waits.push(LiveWait {
                    kind,
                    mask,
                    future,
                    waker: Arc::new(CountingWaker::default()),
                    wakes_at_last_poll: 0,
                    expected: Expected::NotPolled,
                });
            }
            // poll a wait
            6 if !waits.is_empty() => {
                let i = arg as usize % waits.len();
                let w = &mut waits[i];
                let expected = match w.expected {
                    Expected::Done => continue, // polling after completion panics; not tested here
                    Expected::NotPolled => {
                        let immediate = w.kind == Kind::WaitFor || w.kind == Kind::WaitUntil;
                        if immediate && w.matches(model.value) {
                            Some(model.value)
                        } else {
                            w.expected = Expected::Pending {
                                v0: model.version(),
                            };
                            if w.kind != Kind::Changed {
                                model.newest = model.newest.max(model.version());
                            }
                            None
                        }
                    }
                    Expected::Pending { v0 } => model.outcome(w, v0),
                };
                let waker = Waker::from(w.waker.clone());
                w.wakes_at_last_poll = w.waker.0.load(Ordering::SeqCst);
                let got = w.future.as_mut().poll(&mut Context::from_waker(&waker));
                match (got, expected) {
                    (Poll::Ready(v), Some(e)) => {
                        assert_eq!(v, e, "{:?} mask {:#07b}", w.kind, w.mask);
                        w.expected = Expected::Done;
                    }
                    (Poll::Pending, None) => {}
                    (got, expected) => panic!(
                        "{:?} mask {:#07b}: got {got:?}, model says {expected:?}",
                        w.kind, w.mask
                    ),
                }
            }
            // drop a wait
            7 if !waits.is_empty() => {
                let i = arg as usize % waits.len();
                drop(waits.swap_remove(i));
            }
            _ => {}
        }

        // After every step: the state agrees, the registrations agree, and
        // every pending wait whose condition holds has been woken.
        assert_eq!(observable.get(), model.value);
        assert_eq!(observable.version(), model.version());
        assert_eq!(ring.get(), model.value);
        assert_eq!(ring.version(), model.version());
        assert_eq!(
            ring.waiter_count(),
            0,
            "a dropped subscriber stream stayed registered"
        );
        let registered = waits
            .iter()
            .filter(|w| matches!(w.expected, Expected::Pending { .. }))
            .count();
        assert_eq!(observable.waiter_count(), registered);
        for w in &waits {
            if let Expected::Pending { v0 } = w.expected {
                if model.outcome(w, v0).is_some() {
                    assert!(
                        w.waker.0.load(Ordering::SeqCst) > w.wakes_at_last_poll,
                        "{:?} mask {:#07b} can complete but was not woken",
                        w.kind,
                        w.mask
                    );
                }
            }
        }
    }
}
