//! What differs between the Cortex-M targets (run under QEMU) and the
//! riscv32imc target (built only; written for QEMU's `virt` machine).

#[cfg(target_arch = "arm")]
pub use arm::*;
#[cfg(target_arch = "riscv32")]
pub use riscv32::*;

#[cfg(target_arch = "arm")]
mod arm {
    use cortex_m_semihosting::debug;
    pub use cortex_m_semihosting::hprintln;

    /// The exception number being handled (IPSR), 0 in thread mode.
    #[inline]
    pub fn active_vector() -> u32 {
        let ipsr: u32;
        // SAFETY: `mrs` from IPSR only reads a special register: no memory,
        // no stack, no flags (ARMv6-M and ARMv7-M both have it).
        unsafe {
            core::arch::asm!("mrs {}, IPSR", out(reg) ipsr, options(nomem, nostack, preserves_flags))
        };
        ipsr & 0x1ff
    }

    /// Whether we run in an exception or interrupt handler.
    #[inline]
    pub fn in_handler() -> bool {
        active_vector() != 0
    }

    /// Pends the driver interrupt (PendSV): from thread mode with
    /// interrupts enabled it has run by the time this returns (the barriers
    /// make the pend take effect before the next instruction).
    #[inline]
    pub fn pend_driver() {
        cortex_m::peripheral::SCB::set_pendsv();
        cortex_m::asm::dsb();
        cortex_m::asm::isb();
    }

    /// Sleeps until an interrupt, unless `ready()` already holds. Checking
    /// with interrupts masked closes the race with a wake-up: `wfi` returns
    /// on a pending interrupt even while PRIMASK masks it.
    pub fn sleep_unless(ready: impl FnOnce() -> bool) {
        cortex_m::interrupt::disable();
        if !ready() {
            cortex_m::asm::wfi();
        }
        // SAFETY: interrupts were enabled when we were called (thread mode,
        // outside any critical section: `block_on` is never called from one),
        // so unmasking them restores the state we found.
        unsafe { cortex_m::interrupt::enable() };
    }

    /// Ends the QEMU run with exit status 0 (`success`) or 1.
    pub fn exit(success: bool) -> ! {
        debug::exit(if success {
            debug::EXIT_SUCCESS
        } else {
            debug::EXIT_FAILURE
        });
        loop {
            cortex_m::asm::wfi();
        }
    }
}

#[cfg(target_arch = "riscv32")]
mod riscv32 {
    use core::sync::atomic::{AtomicBool, Ordering};

    use riscv_semihosting::debug;
    pub use riscv_semihosting::hprintln;

    /// QEMU `virt`: the CLINT's machine software interrupt pending bit of
    /// hart 0.
    const CLINT_MSIP0: *mut u32 = 0x0200_0000 as *mut u32;

    /// RISC-V has no IPSR: the trap handlers of the firmware say when they
    /// run, through [`HandlerScope`].
    static IN_HANDLER: AtomicBool = AtomicBool::new(false);

    /// Marks the running code as an interrupt handler until dropped.
    pub struct HandlerScope(());

    impl HandlerScope {
        /// Call first thing in a trap handler.
        pub fn enter() -> Self {
            IN_HANDLER.store(true, Ordering::Relaxed);
            HandlerScope(())
        }
    }

    impl Drop for HandlerScope {
        fn drop(&mut self) {
            IN_HANDLER.store(false, Ordering::Relaxed);
        }
    }

    /// 3 (machine software interrupt) in the driver handler, else 0.
    pub fn active_vector() -> u32 {
        if in_handler() {
            3
        } else {
            0
        }
    }

    /// Whether we run in a trap handler.
    pub fn in_handler() -> bool {
        IN_HANDLER.load(Ordering::Relaxed)
    }

    /// Pends the driver interrupt (machine software interrupt). With
    /// interrupts enabled it has run by the time this returns: we wait for
    /// its handler to clear the pending bit (a handshake, not a delay).
    pub fn pend_driver() {
        // SAFETY: CLINT_MSIP0 is the memory-mapped, 4-byte-aligned MSIP
        // register of hart 0 on QEMU `virt`; writing 1 only pends an interrupt.
        unsafe { CLINT_MSIP0.write_volatile(1) };
        if riscv::register::mstatus::read().mie() {
            // SAFETY: as above; reading MSIP has no side effect.
            while unsafe { CLINT_MSIP0.read_volatile() } != 0 {}
        }
    }

    /// Clears the driver interrupt; call from its handler.
    pub fn clear_driver() {
        // SAFETY: as in `pend_driver`; writing 0 clears the pending bit.
        unsafe { CLINT_MSIP0.write_volatile(0) };
    }

    /// Sleeps until an interrupt, unless `ready()` already holds (`wfi`
    /// returns on a pending interrupt even with `mstatus.MIE` clear).
    pub fn sleep_unless(ready: impl FnOnce() -> bool) {
        riscv::interrupt::disable();
        if !ready() {
            riscv::asm::wfi();
        }
        // SAFETY: interrupts were enabled when we were called (`block_on`
        // runs outside any critical section), so this restores that state.
        unsafe { riscv::interrupt::enable() };
    }

    /// Ends the QEMU run with exit status 0 (`success`) or 1.
    pub fn exit(success: bool) -> ! {
        debug::exit(if success {
            debug::EXIT_SUCCESS
        } else {
            debug::EXIT_FAILURE
        });
        loop {
            riscv::asm::wfi();
        }
    }
}
