//! Support shared by the firmware test programs in `src/bin/`: the state
//! type, the memory report (no allocator by default; with `--features heap`
//! a global allocator that fails the run if an interrupt handler allocates),
//! a bare `block_on`, and the few things that differ between
//! Cortex-M and RISC-V (handler-mode test, pending the driver interrupt,
//! sleeping, semihosting exit).
//!
//! Every program reports `PASS ...` and exits 0 through semihosting, or
//! prints why and exits 1 (a failed check, a panic, a stall caught by a
//! watchdog). A hang that no watchdog can see is caught by the `timeout`
//! around QEMU in `.ci/firmware.sh`.
#![no_std]

#[cfg(feature = "heap")]
extern crate alloc;

#[cfg(feature = "heap")]
pub mod heap;
pub mod memory;
pub mod platform;

use core::future::Future;
use core::pin::pin;
use core::sync::atomic::{AtomicBool, Ordering};
use core::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

/// The observed state: a machine with back-to-back transient states
/// (`Starting`, `Fault`, `Braking` are entered and left again inside one
/// interrupt handler run, so no task ever sees them as the current value).
#[derive(Clone, Copy, Debug, PartialEq, Eq, stateword::State)]
pub enum Mode {
    Idle,
    Starting,
    Running,
    Fault,
    Braking,
    Stopped,
}

/// The design's connection lifecycle, for reporting
/// `size_of::<Observable<Conn>>()` on each target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, stateword::State)]
pub enum Conn {
    Disconnected,
    Connecting,
    Connected,
    Closing,
    Closed,
}

/// Prints a line to the host through semihosting (no allocation).
#[macro_export]
macro_rules! report {
    ($($arg:tt)*) => {
        $crate::platform::hprintln!($($arg)*)
    };
}

/// Fails the run if `cond` is false: prints the message, exits 1.
#[macro_export]
macro_rules! check {
    ($cond:expr, $($arg:tt)*) => {
        if !$cond {
            $crate::report!("FAIL: {}", format_args!($($arg)*));
            $crate::platform::exit(false);
        }
    };
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    report!("FAIL: panic: {}", info);
    platform::exit(false)
}

/// Set by [`block_on`]'s waker; cleared before each poll.
static WOKEN: AtomicBool = AtomicBool::new(false);

const VTABLE: RawWakerVTable = RawWakerVTable::new(
    |_| RawWaker::new(core::ptr::null(), &VTABLE),
    |_| WOKEN.store(true, Ordering::Release),
    |_| WOKEN.store(true, Ordering::Release),
    |_| {},
);

/// A hand-written executor for one future: poll, and when it is pending
/// sleep until an interrupt woke it. No embassy, no allocation.
///
/// The sleep is race-free without a timeout: interrupts are masked while
/// the flag is checked, and the wait-for-interrupt instruction still returns
/// on a pending interrupt, which then runs as soon as they are unmasked.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    // SAFETY: every function in `VTABLE` ignores the (null) data pointer and
    // only touches the static `WOKEN`, so the RawWaker contract holds for any
    // number of clones, wakes and drops, from any context.
    let waker = unsafe { Waker::from_raw(RawWaker::new(core::ptr::null(), &VTABLE)) };
    let mut cx = Context::from_waker(&waker);
    loop {
        WOKEN.store(false, Ordering::Relaxed);
        if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return value;
        }
        platform::sleep_unless(|| WOKEN.load(Ordering::Acquire));
    }
}
