//! The embassy-executor example for a heap-less board: the crate's main job
//! (the `connection` example of the crate, on a microcontroller), with
//! **no global allocator**: the wait futures hold their list nodes.
//!
//! A "link" interrupt (SysTick stands in for it) moves a connection through
//! `Disconnected → Connecting → Connected { peer }`, and later
//! `Closing → Closed { reason } → Disconnected` back to back in one handler
//! run. A drain task waits for `Closing`, a report task for `Closed { .. }`:
//! neither state is ever the current value when a task runs, and both waits
//! still complete, the report with the close reason the transient entry
//! carried. The state carries data and still fits the 32-bit word of these
//! targets: 3 bits of variant, 8 of payload, and a flag, so 20 version bits.
//!
//! Dependencies (see `Cargo.toml`): `stateword` with `default-features =
//! false` and `features = ["derive", "critical-section"]`, `embassy-executor`,
//! `cortex-m` (its single-core critical section) and `cortex-m-rt`. No
//! `embedded-alloc`, no `#[global_allocator]`.
#![no_std]
#![no_main]

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m_rt::exception;
use embassy_executor::Spawner;
use stateword::{Observable, State};
use stateword_firmware::{check, memory, platform, report};

/// Why a connection closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
enum Reason {
    Normal,
    Timeout,
    Reset,
}

/// A connection lifecycle whose states carry a little data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, State)]
enum Conn {
    Disconnected,
    Connecting,
    Connected { peer: u8 },
    Closing,
    Closed { reason: Reason },
}

/// The connection's state, set from the interrupt handler.
static CONN: Observable<Conn> = Observable::new(Conn::Disconnected);
/// Set by the drain task once it has seen `Closing`.
static DRAINED: Observable<bool> = Observable::new(false);
/// The close reason the report task read from the transient entry.
static REPORTED: Observable<Option<Reason>> = Observable::new(None);

#[embassy_executor::task]
async fn drain() {
    // Polled before the handler closes the link; completes although the
    // handler moves on to `Closed` in the same run. (A level-triggered wait
    // would hang here, and the handler's stall check would fail the run.)
    CONN.wait_until(Conn::Closing).await;
    DRAINED.set(true);
}

#[embassy_executor::task]
async fn report_close() {
    // `Closed` lasts only until the handler's next line, and carries the
    // reason: the wait returns that entry, reason included.
    if let Conn::Closed { reason } = CONN.wait_for(|s| matches!(s, Conn::Closed { .. })).await {
        REPORTED.set(Some(reason));
    }
}

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    memory::init();
    spawner.spawn(drain().expect("one drain task"));
    spawner.spawn(report_close().expect("one report task"));

    let mut core = cortex_m::Peripherals::take().expect("taken once");
    core.SYST.set_clock_source(SystClkSource::Core);
    core.SYST.set_reload(8_000 - 1);
    core.SYST.clear_current();
    core.SYST.enable_interrupt();
    core.SYST.enable_counter();

    let connected = CONN.wait_for(|s| matches!(s, Conn::Connected { .. })).await;
    check!(
        connected == Conn::Connected { peer: 7 },
        "connected as {connected:?}"
    );
    DRAINED.wait_until(true).await;
    let reason = REPORTED.wait_for_some(|_| true).await;
    core.SYST.disable_interrupt();

    check!(reason == Reason::Reset, "the report read {reason:?}");
    check!(
        CONN.get() == Conn::Disconnected,
        "ended in {:?}",
        CONN.get()
    );
    check!(CONN.waiter_count() == 0, "waits left registered");
    report!(
        "PASS connection: the drain task saw Closing, the report Closed {{ reason: {:?} }}; \
         {} transitions, Observable<Conn> {} B ({} value bits); {}",
        reason,
        CONN.version(),
        core::mem::size_of_val(&CONN),
        Conn::BITS,
        memory::finish()
    );
    platform::exit(true);
}

/// The link interrupt: one step per tick.
#[exception]
fn SysTick() {
    static mut TICKS: u32 = 0;
    static mut CLOSED: bool = false;
    *TICKS += 1;
    match CONN.get() {
        Conn::Disconnected if !*CLOSED => {
            CONN.set(Conn::Connecting);
        }
        Conn::Connecting => {
            CONN.set(Conn::Connected { peer: 7 });
        }
        // Close once the drain and report tasks both wait (a handshake, not
        // a delay): back to back, so neither `Closing` nor `Closed` is ever
        // the current value when a task runs.
        Conn::Connected { .. } if CONN.waiter_count() == 2 => {
            CONN.set(Conn::Closing);
            CONN.set(Conn::Closed {
                reason: Reason::Reset,
            });
            CONN.set(Conn::Disconnected);
            *CLOSED = true;
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
