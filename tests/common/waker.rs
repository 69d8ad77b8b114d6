//! A waker that counts its wakes, for polling futures by hand.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

#[derive(Default)]
pub struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A hand-polled future (pinned on the heap: the wait futures are `!Unpin`)
/// and the number of times its waker was woken.
pub struct Probe<F> {
    pub future: Pin<Box<F>>,
    counter: Arc<CountingWaker>,
    waker: Waker,
}

impl<F> Probe<F> {
    pub fn new(future: F) -> Self {
        let counter = Arc::new(CountingWaker::default());
        let waker = Waker::from(counter.clone());
        Probe {
            future: Box::pin(future),
            counter,
            waker,
        }
    }

    pub fn poll(&mut self) -> Poll<F::Output>
    where
        F: Future,
    {
        self.future
            .as_mut()
            .poll(&mut Context::from_waker(&self.waker))
    }

    /// For a stream: polls for its next item.
    pub fn poll_next(&mut self) -> Poll<Option<F::Item>>
    where
        F: futures_core::Stream,
    {
        self.future
            .as_mut()
            .poll_next(&mut Context::from_waker(&self.waker))
    }

    pub fn wakes(&self) -> usize {
        self.counter.0.load(Ordering::SeqCst)
    }
}

/// A waker that does nothing and allocates nothing.
pub fn noop() -> Waker {
    use std::task::{RawWaker, RawWakerVTable};
    const VTABLE: RawWakerVTable = RawWakerVTable::new(|_| RAW, |_| {}, |_| {}, |_| {});
    const RAW: RawWaker = RawWaker::new(std::ptr::null(), &VTABLE);
    // SAFETY: every vtable function ignores the (null) data pointer, and
    // cloning returns the same waker.
    unsafe { Waker::from_raw(RAW) }
}
