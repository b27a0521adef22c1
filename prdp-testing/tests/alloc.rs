//! The counter counts: on this thread, on other threads (while its own backtraces are not
//! counted), and nothing outside the closure.

use std::hint::black_box;

use prdp_testing::{CountingAllocator, allocations_on_all_threads, allocations_on_this_thread};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

#[test]
fn allocations_are_counted_where_they_happen() {
    let local = allocations_on_this_thread(|| {
        black_box(vec![1u8; 100]);
        black_box(Box::new(7u64));
    });
    assert_eq!(local, 2);
    assert_eq!(allocations_on_this_thread(|| black_box(())), 0);

    // Another thread's allocations count everywhere, not on this thread (spawning it allocates
    // a few times here).
    let spawn = || {
        std::thread::scope(|s| {
            s.spawn(|| {
                for n in 1..=1000 {
                    black_box(vec![0u32; n]);
                }
            });
        })
    };
    let here = allocations_on_this_thread(spawn);
    assert!(here < 100, "this thread: {here}");
    let everywhere = allocations_on_all_threads(spawn);
    assert!(
        everywhere >= 1000,
        "1000 vectors on another thread, counted {everywhere}"
    );
}
