//! Nothing allocates inside a training step once its workspaces exist, on any thread (network,
//! physics over the pool, loss, optimiser). A test binary of its own: the counter is global.
//!
//! One allocation is not ours and is not counted: rayon queues a job that a thread outside its
//! pool hands it (the main thread here) in an injector that takes a new block every 63 jobs.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use prdp_nn::{Architecture, MlpConfig};
use prdp_pde::DataSpec;
use prdp_train::{EmulatorConfig, ScenarioConfig, Schedule, presets};

/// The system allocator, counting every allocation while armed.
struct Counting;

static ARMED: AtomicBool = AtomicBool::new(false);
static COUNT: AtomicUsize = AtomicUsize::new(0);

fn count() {
    // Disarmed while the backtrace (which allocates) is taken and read.
    if ARMED.swap(false, Ordering::Relaxed) {
        if !in_rayon_queue() {
            COUNT.fetch_add(1, Ordering::Relaxed);
        }
        ARMED.store(true, Ordering::Relaxed);
    }
}

/// Whether the allocation being counted is made by rayon's own job queue: the innermost frame
/// with a source file is in rayon-core, called from its registry.
fn in_rayon_queue() -> bool {
    let trace = std::backtrace::Backtrace::force_capture().to_string();
    let first = |needle: &str| trace.find(needle).unwrap_or(usize::MAX);
    let rayon = first("rayon-core-");
    rayon < first("prdp-") && rayon < first("/std/src/") && trace[rayon..].contains("registry.rs")
}

// SAFETY: every call is forwarded unchanged to the system allocator.
unsafe impl GlobalAlloc for Counting {
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

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Heat 2D with a small MLP (its physics at the paper's 30², unrolled Jacobi with a tape).
fn small_heat2d() -> EmulatorConfig {
    let mut c = presets::heat_emulator(2);
    c.model = Architecture::Mlp(MlpConfig {
        in_features: 900,
        out_features: 900,
        width: 32,
        depth: 1,
        ..MlpConfig::default()
    });
    c
}

/// Heat 1D with its minibatch cut into two gradient blocks (data-parallel layout, one rank).
fn heat1d_two_blocks() -> EmulatorConfig {
    EmulatorConfig {
        gradient_blocks: 2,
        ..presets::heat_emulator(1)
    }
}

/// Heat 1D (implicit Jacobi; also in two gradient blocks), heat 2D (unrolled Jacobi) and
/// Burgers (implicit GMRES) steps, after two warm-up steps.
#[test]
fn training_steps_do_not_allocate() {
    for (name, mut c) in [
        ("heat1d", presets::heat_emulator(1)),
        ("heat1d, 2 blocks", heat1d_two_blocks()),
        ("heat2d", small_heat2d()),
        ("burgers", presets::burgers_emulator()),
    ] {
        c.data = DataSpec {
            train: 8,
            validation: 2,
            ..c.data
        };
        c.batch_size = 8;
        let exp = presets::experiment(
            name,
            ScenarioConfig::Emulator(c),
            Schedule::Fixed { k: 5 },
            0,
        );
        let mut probe = exp.step_probe(None).unwrap();
        probe.step(5).unwrap();
        probe.step(5).unwrap();
        COUNT.store(0, Ordering::Relaxed);
        ARMED.store(true, Ordering::Relaxed);
        for _ in 0..3 {
            probe.step(5).unwrap();
        }
        ARMED.store(false, Ordering::Relaxed);
        assert_eq!(
            COUNT.load(Ordering::Relaxed),
            0,
            "{name}: allocations in 3 steps"
        );
    }
}
