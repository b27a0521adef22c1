//! The step probe: a scenario's training step taken on its own.

use prdp_pde::DataSpec;
use prdp_solvers::{DiffMode, Method};
use prdp_train::{KSchedule, ScenarioConfig, TrainError, presets};

/// Steps on one minibatch are deterministic, lower that batch's loss, and fill the ledger
/// (Σ K, solver work, every phase's time).
#[test]
fn probe_steps_learn_and_fill_the_ledger() {
    let mut c = presets::heat_emulator(1);
    c.data = DataSpec {
        train: 12,
        validation: 2,
        ..DataSpec::default()
    };
    c.batch_size = 6;
    let exp = presets::experiment(
        "probe",
        ScenarioConfig::Emulator(c),
        KSchedule::Fixed { k: 5 },
        1,
    );
    let losses = |steps: usize| {
        let mut probe = exp.step_probe(None).unwrap();
        assert_eq!(probe.batch_size(), 6);
        let l: Vec<f64> = (0..steps).map(|i| probe.step(5 + i % 3).unwrap()).collect();
        (l, *probe.ledger())
    };
    let (a, ledger) = losses(40);
    let (b, _) = losses(40);
    assert_eq!(a, b, "probes are deterministic");
    assert!(a[39] < 0.5 * a[0], "the batch's loss falls: {a:?}");
    assert_eq!(ledger.update_steps, 40);
    assert_eq!(ledger.cost, (0..40).map(|i| 5 + i % 3).sum::<u64>());
    assert!(
        ledger.solver.primal_iters > 0 && ledger.solver.adjoint_iters > 0,
        "{ledger:?}"
    );
    let w = ledger.wall;
    for (what, t) in [
        ("network", w.network),
        ("physics forward", w.physics_forward),
        ("physics backward", w.physics_backward),
        ("optimizer", w.optimizer),
    ] {
        assert!(t > 0.0, "{what}: {w:?}");
    }
    assert_eq!(w.validation, 0.0);
}

/// The inverse problem has no network step to probe: a configuration error naming the key.
#[test]
fn the_inverse_problem_cannot_be_probed() {
    let c = presets::poisson_inverse(
        1,
        Method::Jacobi,
        DiffMode::Implicit {
            adjoint_budget: None,
        },
    );
    let exp = presets::experiment(
        "poisson",
        ScenarioConfig::InverseProblem(c),
        KSchedule::Fixed { k: 10 },
        0,
    );
    let err = exp.step_probe(None).unwrap_err();
    assert!(matches!(err, TrainError::Config { .. }), "{err:?}");
    assert!(err.to_string().contains("scenario"), "{err}");
}
