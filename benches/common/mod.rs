//! What every bench target shares: the state type, the peers behind one
//! trait, the two executors, and the handshakes that keep setup out of the
//! measured time.
//!
//! Each peer is what a user would write instead of stateword, used the way its
//! documentation suggests:
//!
//! | peer | `set` | `get` | wait for a value |
//! |---|---|---|---|
//! | stateword | `Observable::set` | `get` | `wait_until` / `wait_for` |
//! | tokio watch | `Sender::send_replace` | `*Sender::borrow()` | `Receiver::wait_for` |
//! | embassy watch | `Sender::send` | `Watch::try_get` | `Receiver::get_and` |
//! | async-event | `store` + `notify_all` | `load` | `Event::wait_until` |
//! | hand-rolled | `store` + `Event::notify` | `load` | check, `listen`, re-check, await |
//! | raw atomic | `compare_exchange` | `load` | (none: the floor for get/set only) |

// Each bench target compiles this module and uses a different part of it.
#![allow(dead_code)]

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use stateword::{Observable, State};

/// The connection lifecycle of the design document: five variants.
#[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
pub enum Conn {
    Disconnected,
    Connecting,
    Connected,
    Closing,
    Closed,
}

impl Conn {
    const ALL: [Conn; 5] = [
        Conn::Disconnected,
        Conn::Connecting,
        Conn::Connected,
        Conn::Closing,
        Conn::Closed,
    ];

    /// The code the atomic-based peers store.
    pub fn code(self) -> u32 {
        self as u32
    }

    /// The state a code came from.
    pub fn from_code(code: u32) -> Conn {
        Conn::ALL[code as usize]
    }
}

/// The most waiters any workload parks at once. embassy-sync's `Watch` fixes
/// its receiver and waker capacity at compile time, so it is built for this.
pub const MAX_WAITERS: usize = 1024;

/// One way to share a `Conn` between setters and waiters.
///
/// Instances are leaked (`&'static`) once per benchmark and reset between
/// iterations, so futures and tasks can hold them without `Arc`, and no
/// allocation happens inside a measurement.
pub trait Peer: Send + Sync + Sized + 'static {
    /// The name in reports.
    const NAME: &'static str;
    /// Whatever one waiting task needs to hold (a receiver), or `()`.
    type Waiter: Send + 'static;

    fn new(initial: Conn) -> Self;
    fn get(&self) -> Conn;
    fn set(&self, value: Conn);
    fn waiter(&'static self) -> Self::Waiter;
    /// Completes when the state satisfies `pred`, with the value that did.
    fn wait_for<'w>(
        &'static self,
        waiter: &'w mut Self::Waiter,
        pred: impl Fn(Conn) -> bool + Send + Sync + 'w,
    ) -> impl Future<Output = Conn> + Send + 'w;

    /// Completes when the state equals `target`.
    fn wait_until<'w>(
        &'static self,
        waiter: &'w mut Self::Waiter,
        target: Conn,
    ) -> impl Future<Output = Conn> + Send + 'w {
        self.wait_for(waiter, move |s| s == target)
    }

    /// A leaked instance: one per benchmark, so the leak is bounded.
    fn leak(initial: Conn) -> &'static Self {
        Box::leak(Box::new(Self::new(initial)))
    }
}

/// stateword itself.
pub struct Stateword(pub Observable<Conn>);

impl Peer for Stateword {
    const NAME: &'static str = "stateword";
    type Waiter = ();

    fn new(initial: Conn) -> Self {
        Stateword(Observable::new(initial))
    }
    #[inline]
    fn get(&self) -> Conn {
        self.0.get()
    }
    #[inline]
    fn set(&self, value: Conn) {
        self.0.set(value);
    }
    fn waiter(&'static self) {}
    fn wait_for<'w>(
        &'static self,
        _: &'w mut (),
        pred: impl Fn(Conn) -> bool + Send + Sync + 'w,
    ) -> impl Future<Output = Conn> + Send + 'w {
        self.0.wait_for(pred)
    }
    fn wait_until<'w>(
        &'static self,
        _: &'w mut (),
        target: Conn,
    ) -> impl Future<Output = Conn> + Send + 'w {
        self.0.wait_until(target)
    }
}

/// `tokio::sync::watch`: the sender is the shared handle, each waiter
/// subscribes its own receiver.
pub struct TokioWatch(pub tokio::sync::watch::Sender<Conn>);

impl Peer for TokioWatch {
    const NAME: &'static str = "tokio watch";
    type Waiter = tokio::sync::watch::Receiver<Conn>;

    fn new(initial: Conn) -> Self {
        TokioWatch(tokio::sync::watch::Sender::new(initial))
    }
    #[inline]
    fn get(&self) -> Conn {
        *self.0.borrow()
    }
    #[inline]
    fn set(&self, value: Conn) {
        // `send` fails when no receiver exists; `send_replace` always stores.
        self.0.send_replace(value);
    }
    fn waiter(&'static self) -> Self::Waiter {
        self.0.subscribe()
    }
    async fn wait_for<'w>(
        &'static self,
        rx: &'w mut Self::Waiter,
        pred: impl Fn(Conn) -> bool + Send + Sync + 'w,
    ) -> Conn {
        *rx.wait_for(|s| pred(*s))
            .await
            .expect("the sender is leaked")
    }
}

/// `embassy_sync::watch::Watch` behind the std critical section (a global
/// mutex), with room for [`MAX_WAITERS`] receivers.
pub struct EmbassyWatch(pub embassy_sync::watch::Watch<CriticalSectionRawMutex, Conn, MAX_WAITERS>);

impl Peer for EmbassyWatch {
    const NAME: &'static str = "embassy watch";
    type Waiter =
        embassy_sync::watch::Receiver<'static, CriticalSectionRawMutex, Conn, MAX_WAITERS>;

    fn new(initial: Conn) -> Self {
        EmbassyWatch(embassy_sync::watch::Watch::new_with(initial))
    }
    #[inline]
    fn get(&self) -> Conn {
        self.0.try_get().expect("initialised")
    }
    #[inline]
    fn set(&self, value: Conn) {
        self.0.sender().send(value);
    }
    fn waiter(&'static self) -> Self::Waiter {
        self.0.receiver().expect("at most MAX_WAITERS receivers")
    }
    async fn wait_for<'w>(
        &'static self,
        rx: &'w mut Self::Waiter,
        pred: impl Fn(Conn) -> bool + Send + Sync + 'w,
    ) -> Conn {
        rx.get_and(|s| pred(*s)).await
    }
}

/// `async-event` over an `AtomicU32`, as its documentation shows: relaxed
/// accesses, the event's fences order them.
pub struct AsyncEvent {
    pub value: AtomicU32,
    pub event: async_event::Event,
}

impl Peer for AsyncEvent {
    const NAME: &'static str = "async-event";
    type Waiter = ();

    fn new(initial: Conn) -> Self {
        AsyncEvent {
            value: AtomicU32::new(initial.code()),
            event: async_event::Event::new(),
        }
    }
    #[inline]
    fn get(&self) -> Conn {
        Conn::from_code(self.value.load(Ordering::Acquire))
    }
    #[inline]
    fn set(&self, value: Conn) {
        self.value.store(value.code(), Ordering::Relaxed);
        self.event.notify_all();
    }
    fn waiter(&'static self) {}
    fn wait_for<'w>(
        &'static self,
        _: &'w mut (),
        pred: impl Fn(Conn) -> bool + Send + Sync + 'w,
    ) -> impl Future<Output = Conn> + Send + 'w {
        self.event.wait_until(move || {
            let now = Conn::from_code(self.value.load(Ordering::Relaxed));
            pred(now).then_some(now)
        })
    }
}

/// The usual hand-rolled loop: an `AtomicU32` and an `event_listener::Event`;
/// check, listen, re-check, await.
pub struct HandRolled {
    pub value: AtomicU32,
    pub event: event_listener::Event,
}

impl Peer for HandRolled {
    const NAME: &'static str = "hand-rolled";
    type Waiter = ();

    fn new(initial: Conn) -> Self {
        HandRolled {
            value: AtomicU32::new(initial.code()),
            event: event_listener::Event::new(),
        }
    }
    #[inline]
    fn get(&self) -> Conn {
        Conn::from_code(self.value.load(Ordering::Acquire))
    }
    #[inline]
    fn set(&self, value: Conn) {
        // `notify` begins with a SeqCst fence, pairing with `listen`'s.
        self.value.store(value.code(), Ordering::Release);
        self.event.notify(usize::MAX);
    }
    fn waiter(&'static self) {}
    async fn wait_for<'w>(
        &'static self,
        _: &'w mut (),
        pred: impl Fn(Conn) -> bool + Send + Sync + 'w,
    ) -> Conn {
        loop {
            let now = self.get();
            if pred(now) {
                return now;
            }
            let listener = self.event.listen();
            let now = self.get();
            if pred(now) {
                return now;
            }
            listener.await;
        }
    }
}

/// Runs `$body` once per peer type, with `$P` naming it: the benches are
/// generic, and this keeps the list of peers in one place.
#[macro_export]
macro_rules! for_each_peer {
    ($P:ident => $body:block) => {{
        {
            type $P = $crate::common::Stateword;
            $body
        }
        {
            type $P = $crate::common::TokioWatch;
            $body
        }
        {
            type $P = $crate::common::EmbassyWatch;
            $body
        }
        {
            type $P = $crate::common::AsyncEvent;
            $body
        }
        {
            type $P = $crate::common::HandRolled;
            $body
        }
    }};
}

/// A task that can be cancelled and waited for.
pub enum Task {
    Tokio(tokio::task::JoinHandle<()>),
    Smol(smol::Task<()>),
}

impl Task {
    /// Cancels the task if it is still pending, and returns once its future
    /// has been dropped (so its registrations are gone).
    pub fn cancel(self) {
        match self {
            Task::Tokio(handle) => {
                handle.abort();
                let _ = futures_lite::future::block_on(handle);
            }
            Task::Smol(task) => {
                futures_lite::future::block_on(task.cancel());
            }
        }
    }
}

/// A multi-threaded executor with two workers (one per core here); the
/// thread that drives a benchmark is not one of them.
pub enum Exec {
    Tokio(tokio::runtime::Runtime),
    Smol {
        executor: Arc<smol::Executor<'static>>,
        stop: Option<smol::channel::Sender<()>>,
        threads: Vec<std::thread::JoinHandle<()>>,
    },
}

impl Exec {
    pub const WORKERS: usize = 2;

    pub fn tokio() -> Exec {
        Exec::Tokio(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(Self::WORKERS)
                .enable_all()
                .build()
                .expect("tokio runtime"),
        )
    }

    pub fn smol() -> Exec {
        let executor = Arc::new(smol::Executor::new());
        let (stop, stopped) = smol::channel::unbounded::<()>();
        let threads = (0..Self::WORKERS)
            .map(|_| {
                let executor = executor.clone();
                let stopped = stopped.clone();
                std::thread::spawn(move || {
                    let _ = smol::block_on(executor.run(stopped.recv()));
                })
            })
            .collect();
        Exec::Smol {
            executor,
            stop: Some(stop),
            threads,
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            Exec::Tokio(_) => "tokio",
            Exec::Smol { .. } => "smol",
        }
    }

    pub fn spawn(&self, future: impl Future<Output = ()> + Send + 'static) -> Task {
        match self {
            Exec::Tokio(rt) => Task::Tokio(rt.spawn(future)),
            Exec::Smol { executor, .. } => Task::Smol(executor.spawn(future)),
        }
    }
}

impl Drop for Exec {
    fn drop(&mut self) {
        if let Exec::Smol { stop, threads, .. } = self {
            drop(stop.take());
            for thread in threads.drain(..) {
                let _ = thread.join();
            }
        }
    }
}

/// A countdown that a plain thread can block on: the handshake that tells the
/// driver every waiter is registered, or every waiter is done.
///
/// The last `count_down` reads the clock before it opens the latch: every
/// other count came earlier, so that instant is when the last of them was
/// reached, taken on the thread that reached it. The driver's own wake-up is
/// never measured.
pub struct Latch {
    left: AtomicUsize,
    opened_at: Mutex<Option<Instant>>,
    cond: Condvar,
}

impl Latch {
    pub fn new(count: usize) -> Latch {
        Latch {
            left: AtomicUsize::new(count),
            opened_at: Mutex::new((count == 0).then(Instant::now)),
            cond: Condvar::new(),
        }
    }

    /// Counts one down; the last one opens the latch.
    pub fn count_down(&self) {
        if self.left.fetch_sub(1, Ordering::AcqRel) == 1 {
            let now = Instant::now();
            *self.opened_at.lock().unwrap() = Some(now);
            self.cond.notify_all();
        }
    }

    /// How many counts are still missing.
    pub fn left(&self) -> usize {
        self.left.load(Ordering::Acquire)
    }

    /// Blocks until the latch opens; returns when it did.
    pub fn wait(&self) -> Instant {
        let opened = self.opened_at.lock().unwrap();
        let opened = self.cond.wait_while(opened, |at| at.is_none()).unwrap();
        opened.expect("open")
    }

    /// When the latch opened, if it did within `timeout`.
    pub fn wait_timeout(&self, timeout: Duration) -> Option<Instant> {
        let opened = self.opened_at.lock().unwrap();
        let (opened, _) = self
            .cond
            .wait_timeout_while(opened, timeout, |at| at.is_none())
            .unwrap();
        *opened
    }
}

/// Polls `future` to completion, counting `registered` down right after its
/// first poll: from then on the wait is registered with its peer, which is
/// what "a parked waiter" means in every workload.
pub async fn registered<F: Future>(future: F, registered: &Latch) -> F::Output {
    let mut future = pin!(future);
    let mut first = true;
    poll_fn(|cx| {
        let poll = future.as_mut().poll(cx);
        if first {
            first = false;
            registered.count_down();
        }
        poll
    })
    .await
}

/// One fan-out: `k` tasks on `exec` parked on `Closing` (each polled once,
/// counted by a latch), then one `set(Closing)` from this thread; the time
/// until the last of them completed, read by that task. `fanout` in
/// `wakeups.rs` sums these; `scale.rs` times one per trial.
pub fn fanout_once<P: Peer>(exec: &Exec, peer: &'static P, k: usize) -> Duration {
    peer.set(Conn::Connected);
    let parked = Arc::new(Latch::new(k));
    let done = Arc::new(Latch::new(k));
    let tasks: Vec<Task> = (0..k)
        .map(|_| {
            let (parked, done) = (parked.clone(), done.clone());
            exec.spawn(async move {
                let mut waiter = peer.waiter();
                let seen = registered(peer.wait_until(&mut waiter, Conn::Closing), &parked).await;
                assert_eq!(seen, Conn::Closing);
                done.count_down();
            })
        })
        .collect();
    parked.wait();
    let start = Instant::now();
    peer.set(Conn::Closing);
    let elapsed = done.wait().saturating_duration_since(start);
    for task in tasks {
        task.cancel(); // all complete: this only joins them
    }
    elapsed
}

/// Where the benches that are not criterion's write their results, beside
/// criterion's own `target/criterion`.
pub fn extra_results_dir() -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| "target".into());
    let dir = std::path::Path::new(&target).join("stateword-bench");
    std::fs::create_dir_all(&dir).expect("create target/stateword-bench");
    dir
}

/// Whether a non-criterion bench should run under `cargo bench [FILTER]`:
/// true without a filter, or when the filter is a substring of `name`.
pub fn selected(name: &str) -> bool {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .collect();
    filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()))
}
