//! The embassy-executor example for a heap-less board: the crate's main job
//! (the `connection` example of the crate, on a microcontroller), with
//! stateword's heap-free notify list and **no global allocator**.
//!
//! A "link" interrupt (SysTick stands in for it) moves a connection through
//! `Disconnected → Connecting → Connected`, and later `Closing → Closed`
//! back to back in one handler run. A drain task waits for `Closing`: it
//! never sees `Closing` as the current value, and still completes with it.
//!
//! Dependencies (see `Cargo.toml`): `stateword` with `default-features =
//! false` and `features = ["derive", "heap-free", "critical-section"]`, `embassy-executor`,
//! `cortex-m` (its single-core critical section) and `cortex-m-rt`. No
//! `embedded-alloc`, no `#[global_allocator]`.
#![no_std]
#![no_main]

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m_rt::exception;
use embassy_executor::Spawner;
use stateword::Observable;
use stateword_firmware::{check, memory, platform, report, Conn};

/// The connection's state, set from the interrupt handler.
static CONN: Observable<Conn> = Observable::new(Conn::Disconnected);
/// Set by the drain task once it has seen `Closing`.
static DRAINED: Observable<bool> = Observable::new(false);

#[embassy_executor::task]
async fn drain() {
    // Polled before the handler closes the link; completes although the
    // handler moves on to `Closed` in the same run. (A level-triggered wait
    // would hang here, and the handler's stall check would fail the run.)
    CONN.wait_until(Conn::Closing).await;
    DRAINED.set(true);
}

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    memory::init();
    spawner.spawn(drain().expect("one drain task"));

    let mut core = cortex_m::Peripherals::take().expect("taken once");
    core.SYST.set_clock_source(SystClkSource::Core);
    core.SYST.set_reload(8_000 - 1);
    core.SYST.clear_current();
    core.SYST.enable_interrupt();
    core.SYST.enable_counter();

    CONN.wait_until(Conn::Connected).await;
    CONN.wait_until(Conn::Closed).await;
    DRAINED.wait_until(true).await;
    core.SYST.disable_interrupt();

    check!(CONN.waiter_count() == 0, "waits left registered");
    report!(
        "PASS connection: the drain task saw Closing; {} transitions, Observable<Conn> {} B; {}",
        CONN.version(),
        core::mem::size_of_val(&CONN),
        memory::finish(2)
    );
    platform::exit(true);
}

/// The link interrupt: one step per tick.
#[exception]
fn SysTick() {
    static mut TICKS: u32 = 0;
    *TICKS += 1;
    match CONN.get() {
        Conn::Disconnected => {
            CONN.set(Conn::Connecting);
        }
        Conn::Connecting => {
            CONN.set(Conn::Connected);
        }
        // Close once the drain task and `main` both wait (a handshake, not
        // a delay): back to back, so `Closing` is never the current value
        // when a task runs.
        Conn::Connected if CONN.waiter_count() == 2 => {
            CONN.set(Conn::Closing);
            CONN.set(Conn::Closed);
        }
        _ => {}
    }
    if *TICKS > 10_000 {
        report!("FAIL: stalled; {:?}", CONN);
        platform::exit(false);
    }
}

#[exception]
unsafe fn HardFault(frame: &cortex_m_rt::ExceptionFrame) -> ! {
    report!("FAIL: HardFault at {:#x}", frame.pc());
    platform::exit(false)
}
