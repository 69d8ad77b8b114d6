//! Size probe: the smallest program that awaits a state set by an interrupt
//! handler, once with stateword (`cargo build --release --bin size-probe`)
//! and once with a hand-rolled single-waiter flag instead
//! (`--features size-baseline`). The difference is what stateword costs in
//! flash and RAM: the crate and its notify list (with `--features heap`,
//! also the allocator and its heap).
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU8, Ordering};

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m_rt::{entry, exception};
use stateword_firmware::{block_on, platform, report, Mode};

/// Where the handler is in its sequence.
static NEXT: AtomicU8 = AtomicU8::new(0);
const SEQUENCE: [Mode; 4] = [Mode::Starting, Mode::Running, Mode::Braking, Mode::Stopped];

#[cfg(not(feature = "size-baseline"))]
mod state {
    use super::*;
    use stateword::Observable;

    static MODE: Observable<Mode> = Observable::new(Mode::Idle);

    pub fn init() {
        stateword_firmware::memory::init();
    }
    pub fn set(mode: Mode) {
        MODE.set(mode);
    }
    pub async fn wait(target: Mode) -> Mode {
        MODE.wait_until(target).await
    }
}

#[cfg(feature = "size-baseline")]
mod state {
    use super::*;
    use core::cell::{Cell, RefCell};
    use core::future::poll_fn;
    use core::task::{Poll, Waker};
    use critical_section::Mutex;

    /// A hand-rolled level-triggered flag with one waker slot: what a
    /// program without stateword would write (and which misses transients).
    static MODE: Mutex<Cell<Mode>> = Mutex::new(Cell::new(Mode::Idle));
    static WAKER: Mutex<RefCell<Option<Waker>>> = Mutex::new(RefCell::new(None));

    pub fn init() {}
    pub fn set(mode: Mode) {
        critical_section::with(|cs| {
            MODE.borrow(cs).set(mode);
            if let Some(waker) = WAKER.borrow(cs).take() {
                waker.wake();
            }
        });
    }
    pub async fn wait(target: Mode) -> Mode {
        poll_fn(|cx| {
            critical_section::with(|cs| {
                if MODE.borrow(cs).get() == target {
                    Poll::Ready(target)
                } else {
                    WAKER.borrow(cs).replace(Some(cx.waker().clone()));
                    Poll::Pending
                }
            })
        })
        .await
    }
}

#[entry]
fn main() -> ! {
    state::init();
    let mut core = cortex_m::Peripherals::take().expect("taken once");
    core.SYST.set_clock_source(SystClkSource::Core);
    core.SYST.set_reload(10_000);
    core.SYST.clear_current();
    core.SYST.enable_interrupt();
    core.SYST.enable_counter();
    let got = block_on(state::wait(Mode::Stopped));
    report!("PASS size-probe: {:?}", got);
    platform::exit(true)
}

#[exception]
fn SysTick() {
    let next = NEXT.load(Ordering::Relaxed);
    if let Some(&mode) = SEQUENCE.get(next as usize) {
        state::set(mode);
        NEXT.store(next + 1, Ordering::Relaxed);
    }
}
