//! Counting allocations.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The system allocator, counting allocations (and reallocations) while a counter is armed by
/// [`allocations_on_this_thread`] or [`allocations_on_all_threads`]. Install it in a test
/// binary with
///
/// ```
/// use prdp_testing::{CountingAllocator, allocations_on_this_thread};
///
/// #[global_allocator]
/// static ALLOCATOR: CountingAllocator = CountingAllocator;
///
/// let n = allocations_on_this_thread(|| drop(std::hint::black_box(vec![1u8; 8])));
/// assert_eq!(n, 1);
/// ```
pub struct CountingAllocator;

thread_local! {
    static LOCAL_ARMED: Cell<bool> = const { Cell::new(false) };
    static LOCAL_COUNT: Cell<usize> = const { Cell::new(0) };
    static IN_COUNTER: Cell<bool> = const { Cell::new(false) };
}
static GLOBAL_ARMED: AtomicBool = AtomicBool::new(false);
static GLOBAL_COUNT: AtomicUsize = AtomicUsize::new(0);

fn count() {
    if LOCAL_ARMED.with(Cell::get) {
        LOCAL_COUNT.with(|c| c.set(c.get() + 1));
    }
    // The backtrace taken here allocates too: those allocations (on this thread only) are the
    // counter's own; other threads' allocations meanwhile are still counted.
    if GLOBAL_ARMED.load(Ordering::Relaxed) && !IN_COUNTER.with(|c| c.replace(true)) {
        if !not_the_tested_code() {
            GLOBAL_COUNT.fetch_add(1, Ordering::Relaxed);
        }
        IN_COUNTER.with(|c| c.set(false));
    }
}

/// Whether the allocation being counted is made by rayon's job queue or by the lazy
/// initialisation of a thread-local, allocations that are not the tested code's:
///
/// - rayon queues a job that a thread outside its pool hands it in an injector that takes a new
///   block every 63 jobs (the innermost frame with a source file is in rayon-core, called from
///   its registry);
/// - a thread-local (faer's GEMM page buffer, say) allocates once per thread, the first time
///   that thread uses it, and which pool thread first runs a given kernel varies from run to
///   run.
fn not_the_tested_code() -> bool {
    let trace = std::backtrace::Backtrace::force_capture().to_string();
    // The frames below the allocator's entry point (`__rust_alloc`, `__rust_realloc`, …); this
    // file's own frames come first, and it appears again further down when the allocation is
    // made on the thread that armed the counter.
    let outer = trace
        .find("__rust_alloc")
        .or_else(|| trace.find("__rust_realloc"))
        .unwrap_or(0);
    let trace = &trace[outer..];
    let first = |needle: &str| trace.find(needle).unwrap_or(usize::MAX);
    let rayon = first("rayon-core-");
    let rayon_queue = rayon < first("prdp-")
        && rayon < first("/std/src/")
        && trace[rayon..].contains("registry.rs");
    let thread_local_init = first("__rust_std_internal_init_fn") < first("prdp-");
    rayon_queue || thread_local_init
}

// SAFETY: every call is forwarded unchanged to the system allocator.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is passed on.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: the caller's contract is passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Allocations made by the calling thread during `f` (other tests of the binary may run
/// beside it). Counts only where [`CountingAllocator`] is the global allocator.
pub fn allocations_on_this_thread(f: impl FnOnce()) -> usize {
    LOCAL_COUNT.with(|c| c.set(0));
    LOCAL_ARMED.with(|a| a.set(true));
    f();
    LOCAL_ARMED.with(|a| a.set(false));
    LOCAL_COUNT.with(Cell::get)
}

/// Allocations made by any thread during `f`, except rayon's job-queue blocks and first-use
/// initialisations of thread-locals: for a test binary of its own (the count includes whatever else runs meanwhile). Counts only where
/// [`CountingAllocator`] is the global allocator.
pub fn allocations_on_all_threads(f: impl FnOnce()) -> usize {
    GLOBAL_COUNT.store(0, Ordering::Relaxed);
    GLOBAL_ARMED.store(true, Ordering::Relaxed);
    f();
    GLOBAL_ARMED.store(false, Ordering::Relaxed);
    GLOBAL_COUNT.load(Ordering::Relaxed)
}
