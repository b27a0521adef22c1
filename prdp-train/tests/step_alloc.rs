//! Nothing allocates inside a training step once its workspaces exist, on any thread (network,
//! physics over the pool, loss, optimiser). A test binary of its own: the counter is global
//! (rayon's own job-queue blocks and one-time thread-local initialisations are not counted).

use prdp_nn::{Architecture, MlpConfig};
use prdp_pde::DataSpec;
use prdp_testing::{CountingAllocator, allocations_on_all_threads};
use prdp_train::{EmulatorConfig, KSchedule, ScenarioConfig, presets};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

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
            KSchedule::Fixed { k: 5 },
            0,
        );
        let mut probe = exp.step_probe(None).unwrap();
        probe.step(5).unwrap();
        probe.step(5).unwrap();
        let count = allocations_on_all_threads(|| {
            for _ in 0..3 {
                probe.step(5).unwrap();
            }
        });
        assert_eq!(count, 0, "{name}: allocations in 3 steps");
    }
}
