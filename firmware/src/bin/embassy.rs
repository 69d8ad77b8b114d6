//! Scenario 1: embassy tasks wait on a `static Observable<Mode>` while the
//! SysTick exception drives it, with real preemption (the tick fires at
//! points in thread-mode code the test does not choose, also in the middle
//! of a task's poll).
//!
//! Each round the handler waits until every task has registered its wait
//! (a deterministic handshake, no sleeping), then drives, one step per tick:
//!
//! | tick | transitions (back to back in one handler run) | transient |
//! |------|------------------------------------------------|-----------|
//! | 0    | Idle → Starting → Running (`set`, `set`)        | Starting  |
//! | 1    | Running → Fault → Running (`set`, `set`)        | Fault     |
//! | 2    | Running → Braking → Stopped (`compare_exchange`, `update`) | Braking |
//! | 3    | Stopped → Idle, and opens the next round       |           |
//!
//! Six tasks must each see their state every round: `wait_until(Starting)`,
//! `wait_for(Fault)`, two `wait_for(Braking)`, `changed()` and
//! `wait_for_next(Idle)`. The transient states never rest, so a wait that
//! only looked at the current value would hang; the SysTick handler then
//! fails the run after `STALL_TICKS` ticks without progress.
#![no_std]
#![no_main]

use core::future::Future;
use core::pin::{pin, Pin};
use core::sync::atomic::{AtomicBool, AtomicU16, AtomicU32, Ordering};
use core::task::{Context, Poll};

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m_rt::exception;
use embassy_executor::Spawner;
use stateword::Observable;
use stateword_firmware::{check, memory, platform, report, Mode};

/// The state under test.
static MODE: Observable<Mode> = Observable::new(Mode::Idle);
/// The round the handler has opened (tasks wait for it: an integer state).
static ROUND: Observable<u16> = Observable::new(0);
/// Tasks that have finished all rounds (`update` from tasks).
static FINISHED: Observable<u8> = Observable::new(0);

const ROUNDS: u16 = 500;
/// SysTick reload, in core clock cycles, for the first tick; later ticks
/// are jittered between `TICK_MIN` and `TICK_MIN + TICK_SPREAD` so that steps
/// land at ever different points of the tasks' code, polls included.
const TICK_CYCLES: u32 = 4_000;
const TICK_MIN: u32 = 200;
const TICK_SPREAD: u32 = 4_096;
/// Ticks without a step before the handler declares a stall.
const STALL_TICKS: u32 = 20_000;

#[derive(Clone, Copy, Debug)]
enum Watch {
    UntilStarting,
    ForFault,
    ForBraking,
    Changed,
    NextIdle,
}

const WATCHERS: [Watch; 6] = [
    Watch::UntilStarting,
    Watch::ForFault,
    Watch::ForBraking,
    Watch::ForBraking,
    Watch::Changed,
    Watch::NextIdle,
];
const TASKS: usize = WATCHERS.len();

/// `ARMED[i] == r + 1`: task `i` has registered its wait of round `r`.
static ARMED: [AtomicU16; TASKS] = [const { AtomicU16::new(0) }; TASKS];
/// Set while a task's wait future is being polled.
static IN_POLL: AtomicBool = AtomicBool::new(false);
/// Handler steps that interrupted a poll in progress.
static PREEMPTED_POLLS: AtomicU32 = AtomicU32::new(0);
/// Handler runs (ticks) so far.
static TICKS: AtomicU32 = AtomicU32::new(0);

/// Marks task `id` armed once its wait has been polled and is pending: from
/// then on, the contract says it must see every matching entry.
struct Armed<F> {
    id: usize,
    round: u16,
    armed: bool,
    inner: F,
}

impl<F: Future + Unpin> Future for Armed<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.get_mut();
        IN_POLL.store(true, Ordering::Relaxed);
        let poll = Pin::new(&mut this.inner).poll(cx);
        IN_POLL.store(false, Ordering::Relaxed);
        if poll.is_pending() && !this.armed {
            this.armed = true;
            ARMED[this.id].store(this.round + 1, Ordering::Release);
        }
        poll
    }
}

fn armed<F: Future + Unpin>(id: usize, round: u16, inner: F) -> Armed<F> {
    Armed {
        id,
        round,
        armed: false,
        inner,
    }
}

#[embassy_executor::task(pool_size = 6)]
async fn watcher(id: usize, watch: Watch) {
    for round in 0..ROUNDS {
        ROUND.wait_for(|r| r >= round).await;
        let v0 = MODE.version();
        let (got, want) = match watch {
            Watch::UntilStarting => (
                armed(id, round, pin!(MODE.wait_until(Mode::Starting))).await,
                Mode::Starting,
            ),
            #[cfg(not(feature = "broken-level-wait"))]
            Watch::ForFault => (
                armed(id, round, pin!(MODE.wait_for(|m| m == Mode::Fault))).await,
                Mode::Fault,
            ),
            // Deliberately wrong: wake on every change, then look at the
            // current value. `Fault` is never current when a task runs.
            #[cfg(feature = "broken-level-wait")]
            Watch::ForFault => (
                loop {
                    let now = armed(id, round, pin!(MODE.changed())).await;
                    if now == Mode::Fault {
                        break now;
                    }
                },
                Mode::Fault,
            ),
            Watch::ForBraking => (
                armed(id, round, pin!(MODE.wait_for(|m| m == Mode::Braking))).await,
                Mode::Braking,
            ),
            Watch::Changed => {
                let got = armed(id, round, pin!(MODE.changed())).await;
                check!(
                    MODE.version() != v0,
                    "task {id}: changed() returned {got:?} without a transition"
                );
                (got, got)
            }
            Watch::NextIdle => (
                armed(id, round, pin!(MODE.wait_for_next(|m| m == Mode::Idle))).await,
                Mode::Idle,
            ),
        };
        check!(
            got == want,
            "task {id} ({watch:?}) round {round}: got {got:?}, want {want:?}"
        );
    }
    FINISHED
        .update(|n| Some(n + 1))
        .expect("the closure always returns Some");
}

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    memory::init();
    for (id, watch) in WATCHERS.into_iter().enumerate() {
        spawner.spawn(watcher(id, watch).expect("pool_size covers every watcher"));
    }

    let mut core = cortex_m::Peripherals::take().expect("taken once");
    core.SYST.set_clock_source(SystClkSource::Core);
    core.SYST.set_reload(TICK_CYCLES - 1);
    core.SYST.clear_current();
    core.SYST.enable_interrupt();
    core.SYST.enable_counter();

    FINISHED.wait_until(TASKS as u8).await;
    core.SYST.disable_interrupt();

    check!(
        MODE.waiter_count() == 0 && ROUND.waiter_count() == 0,
        "waits left registered: {} on MODE, {} on ROUND",
        MODE.waiter_count(),
        ROUND.waiter_count()
    );
    // MODE, ROUND and FINISHED are waited on.
    let memory = memory::finish();
    report!(
        "PASS embassy: {} rounds x {} tasks, every transient seen; {} ticks, {} steps preempted a poll; \
         MODE version {}; {}",
        ROUNDS,
        TASKS,
        TICKS.load(Ordering::Relaxed),
        PREEMPTED_POLLS.load(Ordering::Relaxed),
        MODE.version(),
        memory
    );
    platform::exit(true);
}

/// The driver's progress through the rounds.
struct Driver {
    round: u16,
    step: u8,
    idle_ticks: u32,
    /// xorshift32 state for the tick jitter.
    jitter: u32,
}

#[exception]
fn SysTick() {
    static mut DRIVER: Driver = Driver {
        round: 0,
        step: 0,
        idle_ticks: 0,
        jitter: 0x2545_f491,
    };
    TICKS.store(TICKS.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    let d = DRIVER;
    d.jitter ^= d.jitter << 13;
    d.jitter ^= d.jitter >> 17;
    d.jitter ^= d.jitter << 5;
    // SAFETY: SYST::PTR is the SysTick block; only this handler writes its
    // reload register once `main` has started the counter (`main` later
    // touches only the control register), and a new reload value only
    // changes the length of the next period.
    unsafe {
        (*cortex_m::peripheral::SYST::PTR)
            .rvr
            .write(TICK_MIN + d.jitter % TICK_SPREAD)
    };
    // Between rounds, wait for every task to register; after the last one,
    // for `main` to see them all finish and stop the tick.
    if d.round == ROUNDS
        || (d.step == 0
            && !ARMED
                .iter()
                .all(|a| a.load(Ordering::Acquire) == d.round + 1))
    {
        d.idle_ticks += 1;
        if d.idle_ticks > STALL_TICKS {
            let mut armed = [0u16; TASKS];
            for (slot, a) in armed.iter_mut().zip(&ARMED) {
                *slot = a.load(Ordering::Relaxed);
            }
            report!(
                "FAIL: stalled at round {} of {} (armed: {:?}, round + 1 each; finished: {}); {:?}",
                d.round,
                ROUNDS,
                armed,
                FINISHED.get(),
                MODE
            );
            platform::exit(false);
        }
        return;
    }
    d.idle_ticks = 0;
    if IN_POLL.load(Ordering::Relaxed) {
        PREEMPTED_POLLS.store(
            PREEMPTED_POLLS.load(Ordering::Relaxed) + 1,
            Ordering::Relaxed,
        );
    }
    #[cfg(any(feature = "broken-isr-alloc", feature = "broken-link-alloc"))]
    if d.round == 1 {
        extern crate alloc;
        core::hint::black_box(alloc::boxed::Box::new(d.round));
    }
    match d.step {
        0 => {
            check!(
                MODE.set(Mode::Starting) == Mode::Idle,
                "round starts in Idle"
            );
            MODE.set(Mode::Running);
        }
        1 => {
            let skip = cfg!(feature = "broken-never-set") && d.round == ROUNDS - 1;
            if !skip {
                MODE.set(Mode::Fault);
            }
            MODE.set(Mode::Running);
        }
        2 => {
            check!(
                MODE.compare_exchange(Mode::Running, Mode::Braking) == Ok(Mode::Running),
                "compare_exchange from the handler"
            );
            check!(
                MODE.update(|m| (m == Mode::Braking).then_some(Mode::Stopped)) == Ok(Mode::Braking),
                "update from the handler"
            );
        }
        _ => {
            MODE.set(Mode::Idle);
            d.round += 1;
            ROUND.set(d.round);
        }
    }
    d.step = (d.step + 1) % 4;
}

#[exception]
unsafe fn HardFault(frame: &cortex_m_rt::ExceptionFrame) -> ! {
    report!("FAIL: HardFault at {:#x}", frame.pc());
    platform::exit(false)
}
