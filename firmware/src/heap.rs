//! The global allocator: embedded-alloc's first-fit heap, wrapped so that
//! any allocation or deallocation from an interrupt handler fails the run,
//! and so that the heap's high-water mark can be reported.
//!
//! stateword allocates nothing itself (wait futures hold their list nodes);
//! this heap is here so that a program with one still shows that `set` from
//! an interrupt handler never allocates.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::Cell;
use core::mem::MaybeUninit;

use critical_section::Mutex;
use embedded_alloc::LlffHeap;

use crate::platform;

/// Bytes given to the heap. The tests use well under a tenth of it.
pub const HEAP_SIZE: usize = 2048;

/// Counters kept under the heap's critical section.
#[derive(Clone, Copy, Debug, Default)]
pub struct HeapStats {
    /// Most bytes in use at once (as the heap counts them).
    pub high_water: usize,
    /// Allocations so far.
    pub allocations: usize,
    /// Deallocations so far.
    pub deallocations: usize,
}

/// A heap that refuses to be used from handler mode.
pub struct CheckedHeap {
    heap: LlffHeap,
    stats: Mutex<Cell<HeapStats>>,
}

#[global_allocator]
static HEAP: CheckedHeap = CheckedHeap {
    heap: LlffHeap::empty(),
    stats: Mutex::new(Cell::new(HeapStats {
        high_water: 0,
        allocations: 0,
        deallocations: 0,
    })),
};

/// Hands the heap its memory. Call once, first thing in `main`; later calls
/// do nothing.
pub fn init() {
    static mut MEMORY: [MaybeUninit<u8>; HEAP_SIZE] = [MaybeUninit::uninit(); HEAP_SIZE];
    static mut TAKEN: bool = false;
    critical_section::with(|_| {
        // SAFETY: `TAKEN` is only touched here, inside a critical section, so
        // no other access to it can overlap this one (single core).
        let taken = unsafe { &mut *core::ptr::addr_of_mut!(TAKEN) };
        if *taken {
            return;
        }
        *taken = true;
        let start = core::ptr::addr_of_mut!(MEMORY) as usize;
        // SAFETY: `LlffHeap::init` must be called once, before any
        // allocation, with memory nothing else uses: `TAKEN` guarantees the
        // first, `main` calls this before anything allocates, and `MEMORY`
        // is named nowhere else.
        unsafe { HEAP.heap.init(start, HEAP_SIZE) };
    });
}

/// The heap's counters so far.
pub fn stats() -> HeapStats {
    critical_section::with(|cs| HEAP.stats.borrow(cs).get())
}

/// Bytes the heap has in use right now.
pub fn used() -> usize {
    HEAP.heap.used()
}

fn refuse_in_handler(what: &str, layout: Layout) {
    if platform::in_handler() {
        // The panic handler reports this and exits 1 at once; these targets
        // abort on panic, so nothing unwinds out of the allocator.
        panic!(
            "{what} of {} bytes in an interrupt handler (vector {})",
            layout.size(),
            platform::active_vector()
        );
    }
}

// SAFETY: every method forwards to `LlffHeap`, a correct `GlobalAlloc`, with
// the caller's arguments unchanged; the wrapper only adds bookkeeping under a
// critical section and may diverge (never return a bad pointer).
unsafe impl GlobalAlloc for CheckedHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        refuse_in_handler("allocation", layout);
        critical_section::with(|cs| {
            // SAFETY: forwarded unchanged from our caller, who upholds
            // `GlobalAlloc::alloc`'s contract (non-zero size).
            let ptr = unsafe { self.heap.alloc(layout) };
            let stats = self.stats.borrow(cs);
            let mut s = stats.get();
            s.allocations += 1;
            s.high_water = s.high_water.max(self.heap.used());
            stats.set(s);
            ptr
        })
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        refuse_in_handler("deallocation", layout);
        critical_section::with(|cs| {
            // SAFETY: forwarded unchanged from our caller: `ptr` came from
            // this allocator with this `layout`.
            unsafe { self.heap.dealloc(ptr, layout) };
            let stats = self.stats.borrow(cs);
            let mut s = stats.get();
            s.deallocations += 1;
            stats.set(s);
        })
    }
}
