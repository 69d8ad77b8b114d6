//! Shared by the integration tests: the lifecycle enum, the runtime matrix and
//! a hang guard. Each test file uses part of it.
#![allow(dead_code)]

use std::future::Future;
use std::pin::Pin;
use std::sync::mpsc;
use std::time::Duration;

use stateword::{Observable, State};

pub mod waker;

#[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
pub enum Conn {
    Disconnected,
    Connecting,
    Connected,
    Closing,
    Closed,
}

pub const ALL_CONN: [Conn; 5] = [
    Conn::Disconnected,
    Conn::Connecting,
    Conn::Connected,
    Conn::Closing,
    Conn::Closed,
];

/// A `'static` observable for tasks that must be `'static`; each test gets its
/// own (leaking a few bytes per test).
pub fn leak<S: State>(initial: S) -> &'static Observable<S> {
    Box::leak(Box::new(Observable::new(initial)))
}

pub type Joinable = Pin<Box<dyn Future<Output = ()> + Send>>;

/// An executor the tests run on.
pub trait Runtime: Copy + Send + Sync + 'static {
    const NAME: &'static str;
    /// Runs `future` to completion on this runtime, from the test thread.
    fn block_on<F: Future + Send + 'static>(self, future: F) -> F::Output
    where
        F::Output: Send;
    /// Runs `future` as a task of its own where the runtime has tasks (else
    /// the returned future runs it when awaited). Call inside `block_on`.
    fn spawn<F: Future<Output = ()> + Send + 'static>(self, future: F) -> Joinable;
}

#[derive(Clone, Copy)]
pub struct TokioMultiThread;
impl Runtime for TokioMultiThread {
    const NAME: &'static str = "tokio multi-thread";
    fn block_on<F: Future + Send + 'static>(self, future: F) -> F::Output
    where
        F::Output: Send,
    {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(4)
            .enable_all()
            .build()
            .unwrap()
            .block_on(future)
    }
    fn spawn<F: Future<Output = ()> + Send + 'static>(self, future: F) -> Joinable {
        let task = tokio::spawn(future);
        Box::pin(async move { task.await.expect("task panicked") })
    }
}

#[derive(Clone, Copy)]
pub struct TokioCurrentThread;
impl Runtime for TokioCurrentThread {
    const NAME: &'static str = "tokio current-thread";
    fn block_on<F: Future + Send + 'static>(self, future: F) -> F::Output
    where
        F::Output: Send,
    {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(future)
    }
    fn spawn<F: Future<Output = ()> + Send + 'static>(self, future: F) -> Joinable {
        TokioMultiThread.spawn(future)
    }
}

#[derive(Clone, Copy)]
pub struct Smol;
impl Runtime for Smol {
    const NAME: &'static str = "smol";
    fn block_on<F: Future + Send + 'static>(self, future: F) -> F::Output
    where
        F::Output: Send,
    {
        smol::block_on(future)
    }
    fn spawn<F: Future<Output = ()> + Send + 'static>(self, future: F) -> Joinable {
        Box::pin(smol::spawn(future))
    }
}

#[derive(Clone, Copy)]
pub struct AsyncStd;
impl Runtime for AsyncStd {
    const NAME: &'static str = "async-std";
    fn block_on<F: Future + Send + 'static>(self, future: F) -> F::Output
    where
        F::Output: Send,
    {
        async_std::task::block_on(future)
    }
    fn spawn<F: Future<Output = ()> + Send + 'static>(self, future: F) -> Joinable {
        Box::pin(async_std::task::spawn(future))
    }
}

#[derive(Clone, Copy)]
pub struct FuturesExecutor;
impl Runtime for FuturesExecutor {
    const NAME: &'static str = "futures::executor";
    fn block_on<F: Future + Send + 'static>(self, future: F) -> F::Output
    where
        F::Output: Send,
    {
        futures::executor::block_on(future)
    }
    fn spawn<F: Future<Output = ()> + Send + 'static>(self, future: F) -> Joinable {
        Box::pin(future)
    }
}

#[derive(Clone, Copy)]
pub struct FuturesLite;
impl Runtime for FuturesLite {
    const NAME: &'static str = "futures_lite::block_on";
    fn block_on<F: Future + Send + 'static>(self, future: F) -> F::Output
    where
        F::Output: Send,
    {
        futures_lite::future::block_on(future)
    }
    fn spawn<F: Future<Output = ()> + Send + 'static>(self, future: F) -> Joinable {
        Box::pin(future)
    }
}

/// Generates one `#[test]` per runtime, each calling `$scenario(runtime)`.
#[macro_export]
macro_rules! on_every_runtime {
    ($scenario:ident) => {
        mod $scenario {
            use super::common::*;
            #[test]
            fn tokio_multi_thread() {
                super::$scenario(TokioMultiThread)
            }
            #[test]
            fn tokio_current_thread() {
                super::$scenario(TokioCurrentThread)
            }
            #[test]
            fn smol() {
                super::$scenario(Smol)
            }
            #[test]
            fn async_std() {
                super::$scenario(AsyncStd)
            }
            #[test]
            fn futures_executor() {
                super::$scenario(FuturesExecutor)
            }
            #[test]
            fn futures_lite() {
                super::$scenario(FuturesLite)
            }
        }
    };
}

/// Runs `body`, turning a hang of more than `limit` into a test failure with a
/// message (the whole test process exits: a hung thread cannot be unwound).
pub fn within<T>(limit: Duration, what: &str, body: impl FnOnce() -> T) -> T {
    let (done, finished) = mpsc::channel::<()>();
    let what = what.to_owned();
    std::thread::spawn(move || {
        if let Err(mpsc::RecvTimeoutError::Timeout) = finished.recv_timeout(limit) {
            eprintln!("HANG: {what} did not finish within {limit:?}");
            std::process::exit(101);
        }
    });
    let out = body();
    drop(done);
    out
}

/// Polls `future` once, registering a wait; panics if it completed already.
pub async fn register<F: Future + Unpin>(future: &mut F)
where
    F::Output: std::fmt::Debug,
{
    if let Some(out) = futures_lite::future::poll_once(&mut *future).await {
        panic!("the wait completed on its first poll with {out:?}; it should have registered");
    }
}

/// The tests' thread handshakes, with and without `std`: with it the
/// crate's own blocking waits, so these tests exercise them; without it (no
/// blocking waits) the async `wait_for` on a bare executor, raced against a
/// timer for the timeout.
#[allow(dead_code)] // not every test binary uses both
pub trait BlockFor<S> {
    fn block_for(&self, predicate: impl FnMut(S) -> bool) -> S;
    fn block_for_timeout(&self, predicate: impl FnMut(S) -> bool, timeout: Duration) -> Option<S>;
}

impl<S: State, const HISTORY: usize> BlockFor<S> for Observable<S, HISTORY> {
    #[cfg(feature = "std")]
    fn block_for(&self, predicate: impl FnMut(S) -> bool) -> S {
        self.wait_for_blocking(predicate)
    }

    #[cfg(feature = "std")]
    fn block_for_timeout(&self, predicate: impl FnMut(S) -> bool, timeout: Duration) -> Option<S> {
        self.wait_for_timeout(predicate, timeout)
    }

    #[cfg(not(feature = "std"))]
    fn block_for(&self, predicate: impl FnMut(S) -> bool) -> S {
        futures_lite::future::block_on(self.wait_for(predicate))
    }

    #[cfg(not(feature = "std"))]
    fn block_for_timeout(&self, predicate: impl FnMut(S) -> bool, timeout: Duration) -> Option<S> {
        let wait = async { Some(self.wait_for(predicate).await) };
        let timer = async {
            smol::Timer::after(timeout).await;
            None
        };
        futures_lite::future::block_on(futures_lite::future::or(wait, timer))
    }
}
