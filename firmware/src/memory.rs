//! What the programs report about memory.
//!
//! * Default: **no `#[global_allocator]` at all**. Nothing in the program
//!   can allocate, or it would not link: the link is the proof.
//! * `--features heap`: the checked heap of `heap.rs` (fails the run on any
//!   allocation in handler mode), which stateword's waits never use either.

use core::fmt;

/// Prepares the heap, if there is one. Call first thing in `main`.
pub fn init() {
    #[cfg(feature = "heap")]
    crate::heap::init();
}

/// Checks that nothing leaked and describes the memory used: with a heap,
/// nothing may still be allocated at the end.
pub fn finish() -> Summary {
    #[cfg(feature = "heap")]
    {
        let stats = crate::heap::stats();
        let live = stats.allocations - stats.deallocations;
        crate::check!(
            live == 0,
            "{live} allocations still live at the end; {} bytes in use",
            crate::heap::used()
        );
        Summary { stats }
    }
    #[cfg(not(feature = "heap"))]
    Summary {}
}

/// The memory line of a `PASS` report.
pub struct Summary {
    #[cfg(feature = "heap")]
    stats: crate::heap::HeapStats,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        #[cfg(feature = "heap")]
        return write!(
            f,
            "checked heap: high-water {} B, {} B in use at the end, {} allocations, none in handler mode",
            self.stats.high_water,
            crate::heap::used(),
            self.stats.allocations
        );
        #[cfg(not(feature = "heap"))]
        f.write_str("no global allocator linked")
    }
}
