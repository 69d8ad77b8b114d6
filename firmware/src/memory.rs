//! What the programs report about memory, for the notify-list backend they
//! were built with.
//!
//! * Default: stateword's heap-free backend and **no `#[global_allocator]`
//!   at all**. Nothing in the program can allocate, or it would not link:
//!   the link is the proof.
//! * `--features heap`: the event-listener backend, with the checked heap of
//!   `heap.rs` (fails the run on any allocation in handler mode).

use core::fmt;

/// Prepares the heap, if there is one. Call first thing in `main`.
pub fn init() {
    #[cfg(feature = "heap")]
    crate::heap::init();
}

/// Checks that nothing leaked and describes the memory used. `events` is the
/// number of observables waited on: with event-listener each keeps its
/// `Event`'s shared state allocated after its first listen; anything more
/// still live would be a leak per wait.
pub fn finish(events: usize) -> Summary {
    #[cfg(feature = "heap")]
    {
        let stats = crate::heap::stats();
        let live = stats.allocations - stats.deallocations;
        crate::check!(
            live == events,
            "{live} allocations still live at the end, want {events} (one per listened-to Event); {} bytes in use",
            crate::heap::used()
        );
        Summary { stats }
    }
    #[cfg(not(feature = "heap"))]
    {
        let _ = events;
        Summary {}
    }
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
            "event-listener backend: heap high-water {} B, {} B in use at the end, {} allocations, none in handler mode",
            self.stats.high_water,
            crate::heap::used(),
            self.stats.allocations
        );
        #[cfg(not(feature = "heap"))]
        f.write_str("heap-free backend: no global allocator linked")
    }
}
