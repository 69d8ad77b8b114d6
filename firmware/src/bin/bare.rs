//! Scenario 2: no executor crate at all. A hand-written `block_on` (in the
//! library: poll, then sleep until an interrupt) drives five waits at once
//! over a `static Observable<Mode>`, and a *pended* interrupt (PendSV on
//! Cortex-M, the machine software interrupt on RISC-V) drives the state.
//!
//! Each round, once all five waits are registered, the driver runs this
//! script, one line per handler run:
//!
//! | step | transitions (back to back) | transient |
//! |------|----------------------------|-----------|
//! | 0    | Idle → Starting → Running  | Starting  |
//! | 1    | Running → Fault → Running  | Fault     |
//! | 2    | Running → Braking → Stopped| Braking   |
//! | 3    | Stopped → Idle             |           |
//!
//! Step 0 is pended from thread mode. Every later step is pended by a
//! waiter's *predicate*, which stateword calls while it polls: so the
//! handler preempts the wait in the middle of its poll (between its ledger
//! scan and its park), deterministically, every round. On Cortex-M a
//! higher-priority SysTick watchdog fails the run if nothing progresses,
//! including when the driver handler itself would deadlock.
#![no_std]
#![no_main]

use core::future::{poll_fn, Future};
use core::pin::{pin, Pin};
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use core::task::Poll;

use stateword::Observable;
use stateword_firmware::{block_on, check, memory, platform, report, Mode};

static MODE: Observable<Mode> = Observable::new(Mode::Idle);

const ROUNDS: u32 = 50;
const SCRIPT: [&[Mode]; 4] = [
    &[Mode::Starting, Mode::Running],
    &[Mode::Fault, Mode::Running],
    &[Mode::Braking, Mode::Stopped],
    &[Mode::Idle],
];

/// Next script step; written by the driver, reset by `main` between rounds
/// (when nothing can pend the driver).
static STEP: AtomicU32 = AtomicU32::new(0);
/// The round in progress (for the deliberately broken variants).
static ROUND: AtomicU32 = AtomicU32::new(0);
/// Set once every wait of the round is registered: predicates pend the
/// driver only then.
static ARMED: AtomicBool = AtomicBool::new(false);
/// Steps that ran inside a predicate, i.e. inside stateword's `poll`.
static MID_POLL_STEPS: AtomicU32 = AtomicU32::new(0);
/// Bumped on every step and round: what the watchdog watches.
static PROGRESS: AtomicU32 = AtomicU32::new(0);

fn bump(counter: &AtomicU32) {
    // Load + store: each counter has one writer at a time (thread mode only
    // between rounds, or the driver handler), and thumbv6m has no fetch_add.
    counter.store(
        counter.load(Ordering::Relaxed).wrapping_add(1),
        Ordering::Relaxed,
    );
}

/// The driver: one script step per run. Called only from the driver
/// interrupt handler.
fn drive() {
    let step = STEP.load(Ordering::Relaxed) as usize;
    let Some(transitions) = SCRIPT.get(step) else {
        return;
    };
    let round = ROUND.load(Ordering::Relaxed);
    #[cfg(any(feature = "broken-isr-alloc", feature = "broken-link-alloc"))]
    if round == 1 {
        extern crate alloc;
        core::hint::black_box(alloc::boxed::Box::new(round));
    }
    for &mode in transitions.iter() {
        if cfg!(feature = "broken-never-set") && round == ROUNDS - 1 && mode == Mode::Fault {
            continue;
        }
        MODE.set(mode);
    }
    STEP.store(step as u32 + 1, Ordering::Relaxed);
    bump(&PROGRESS);
}

/// `m == target`, and, once the round is armed, pends the driver first: the
/// next step then runs right here, inside the poll that called us.
fn injecting(target: Mode) -> impl FnMut(Mode) -> bool {
    move |mode| {
        if ARMED.load(Ordering::Relaxed) {
            let before = STEP.load(Ordering::Relaxed);
            platform::pend_driver();
            if STEP.load(Ordering::Relaxed) != before {
                bump(&MID_POLL_STEPS);
            }
        }
        mode == target
    }
}

/// What each of the round's waits must return (`None`: any value).
const WANT: [Option<Mode>; 5] = [
    Some(Mode::Starting),
    Some(Mode::Fault),
    Some(Mode::Braking),
    None,
    Some(Mode::Idle),
];
const NAMES: [&str; 5] = [
    "wait_until(Starting)",
    "wait_for(Fault)",
    "wait_until(Braking)",
    "changed()",
    "wait_for_next(Idle)",
];

async fn braking() -> Mode {
    #[cfg(not(feature = "broken-level-wait"))]
    {
        MODE.wait_until(Mode::Braking).await
    }
    // Deliberately wrong: wake on every change, look at the current value.
    #[cfg(feature = "broken-level-wait")]
    loop {
        let now = MODE.changed().await;
        if now == Mode::Braking {
            break now;
        }
    }
}

fn round(round: u32) {
    ROUND.store(round, Ordering::Relaxed);
    STEP.store(0, Ordering::Relaxed);
    let v0 = MODE.version();

    let starting = pin!(MODE.wait_until(Mode::Starting));
    let fault = pin!(MODE.wait_for(injecting(Mode::Fault)));
    let braking = pin!(braking());
    let changed = pin!(MODE.changed());
    let idle = pin!(MODE.wait_for_next(injecting(Mode::Idle)));
    let mut waits: [Pin<&mut dyn Future<Output = Mode>>; 5] =
        [starting, fault, braking, changed, idle];
    let mut got: [Option<Mode>; 5] = [None; 5];
    let mut first = true;

    block_on(poll_fn(|cx| {
        // Rotate the polling order so the injected steps land in a
        // different wait's poll from round to round.
        for i in 0..waits.len() {
            let j = (i + round as usize) % waits.len();
            if got[j].is_none() {
                if let Poll::Ready(mode) = waits[j].as_mut().poll(cx) {
                    got[j] = Some(mode);
                }
            }
        }
        if first {
            first = false;
            check!(
                got.iter().all(Option::is_none),
                "round {round}: a wait completed before the driver ran: {got:?}"
            );
            ARMED.store(true, Ordering::Relaxed);
            platform::pend_driver();
        }
        if got.iter().all(Option::is_some) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }));
    ARMED.store(false, Ordering::Relaxed);

    for (i, (got, want)) in got.iter().zip(WANT).enumerate() {
        let got = got.expect("block_on returned, so every wait completed");
        if let Some(want) = want {
            check!(
                got == want,
                "round {round}: {} returned {got:?}, want {want:?}",
                NAMES[i]
            );
        }
    }
    check!(
        STEP.load(Ordering::Relaxed) == SCRIPT.len() as u32,
        "round {round}: the script did not run to its end"
    );
    check!(MODE.version() == v0 + 7, "round {round}: seven transitions");
}

#[cfg_attr(target_arch = "arm", cortex_m_rt::entry)]
#[cfg_attr(target_arch = "riscv32", riscv_rt::entry)]
fn main() -> ! {
    memory::init();
    setup_interrupts();
    for r in 0..ROUNDS {
        round(r);
        bump(&PROGRESS);
    }
    check!(MODE.waiter_count() == 0, "waits left registered");
    let memory = memory::finish();
    report!(
        "PASS bare block_on: {} rounds x 5 waits, every transient seen; {} driver steps ran inside a wait's poll; \
         MODE version {} ({} B static, Observable<Conn> {} B); {}",
        ROUNDS,
        MID_POLL_STEPS.load(Ordering::Relaxed),
        MODE.version(),
        core::mem::size_of_val(&MODE),
        core::mem::size_of::<Observable<stateword_firmware::Conn>>(),
        memory
    );
    platform::exit(true)
}

#[cfg(target_arch = "arm")]
mod arm {
    use cortex_m::peripheral::scb::SystemHandler;
    use cortex_m::peripheral::syst::SystClkSource;
    use cortex_m_rt::exception;

    use super::*;

    /// Watchdog period, in core clock cycles, and how many periods without
    /// progress count as a stall.
    const WATCHDOG_CYCLES: u32 = 100_000;
    const STALL_TICKS: u32 = 500;

    pub(super) fn setup_interrupts() {
        let mut core = cortex_m::Peripherals::take().expect("taken once");
        // SAFETY: changing priorities can break priority-based critical
        // sections; this program has none (critical sections mask all
        // interrupts through PRIMASK), and nothing has run yet.
        unsafe {
            // Lowest priority for the driver, highest for the watchdog, so
            // the watchdog preempts a driver that would never return.
            core.SCB.set_priority(SystemHandler::PendSV, 0xff);
            core.SCB.set_priority(SystemHandler::SysTick, 0x00);
        }
        core.SYST.set_clock_source(SystClkSource::Core);
        core.SYST.set_reload(WATCHDOG_CYCLES - 1);
        core.SYST.clear_current();
        core.SYST.enable_interrupt();
        core.SYST.enable_counter();
    }

    #[exception]
    fn PendSV() {
        drive();
    }

    #[exception]
    fn SysTick() {
        static mut LAST: u32 = 0;
        static mut IDLE: u32 = 0;
        let now = PROGRESS.load(Ordering::Relaxed);
        if now != *LAST {
            *LAST = now;
            *IDLE = 0;
            return;
        }
        *IDLE += 1;
        if *IDLE > STALL_TICKS {
            report!(
                "FAIL: stalled in round {} at script step {}; {:?}",
                ROUND.load(Ordering::Relaxed),
                STEP.load(Ordering::Relaxed),
                MODE
            );
            platform::exit(false);
        }
    }

    #[exception]
    unsafe fn HardFault(frame: &cortex_m_rt::ExceptionFrame) -> ! {
        report!("FAIL: HardFault at {:#x}", frame.pc());
        platform::exit(false)
    }
}
#[cfg(target_arch = "arm")]
use arm::setup_interrupts;

#[cfg(target_arch = "riscv32")]
mod riscv32 {
    use super::*;

    pub(super) fn setup_interrupts() {
        // SAFETY: enabling the machine software interrupt and then global
        // interrupts is sound once its handler (below) is in place, which
        // the linker guarantees; nothing runs in a critical section here.
        unsafe {
            riscv::register::mie::set_msoft();
            riscv::interrupt::enable();
        }
    }

    #[riscv_rt::core_interrupt(riscv::interrupt::Interrupt::MachineSoft)]
    fn machine_soft() {
        let _scope = platform::HandlerScope::enter();
        platform::clear_driver();
        drive();
    }
}
#[cfg(target_arch = "riscv32")]
use riscv32::setup_interrupts;
