//! Whole training runs: learning, resumption, divergence and configuration errors.

use std::path::PathBuf;

use prdp_nn::{Optimizer, Schedule as Lr};
use prdp_pde::DataSpec;
use prdp_solvers::{DiffMode, Method};
use prdp_train::{
    Experiment, PrdpConfig, RunOptions, RunStatus, ScenarioConfig, Schedule, Silent, TrainError,
    presets,
};

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("prdp-train-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// Heat 1D with a small data set: 40 training samples, batches of 10, `epochs` epochs.
fn small_heat(epochs: usize, schedule: Schedule) -> Experiment {
    let mut c = presets::heat_emulator(1);
    c.data = DataSpec {
        train: 40,
        validation: 5,
        ..DataSpec::default()
    };
    c.batch_size = 10;
    c.epochs = epochs;
    c.optimizer = Optimizer::adam(Lr::Constant { value: 3e-3 });
    presets::experiment("heat1d-small", ScenarioConfig::Emulator(c), schedule, 7)
}

fn prdp() -> Schedule {
    Schedule::Prdp(PrdpConfig {
        delta: 2,
        tau_step: 0.98,
        ema_window: Some(2),
        ..PrdpConfig::default()
    })
}

#[test]
fn heat1d_training_loss_and_validation_decrease() {
    let rec = small_heat(12, Schedule::Fixed { k: 25 })
        .run(&RunOptions::default(), None, &mut Silent)
        .unwrap();
    assert_eq!(rec.status, RunStatus::Completed);
    assert_eq!(rec.intervals.len(), 13);
    let first = rec.intervals[1].train_loss.unwrap();
    let last = rec.intervals.last().unwrap();
    assert!(
        last.train_loss.unwrap() < 0.3 * first,
        "loss {first} -> {:?}",
        last.train_loss
    );
    assert!(rec.final_metric() < 0.5 * rec.intervals[0].validation.metric);
    assert_eq!(rec.ledger.update_steps, 48);
    assert_eq!(rec.ledger.cost, 48 * 25);
    // Each step solves 10 samples forward (and 10 adjoint systems) of at most 25 iterations,
    // fewer once a solve reaches ε = 1e-5.
    let p = rec.ledger.solver.primal_iters;
    assert!(
        p <= 48 * 10 * 25 && p > 48 * 10 * 20,
        "{p} primal iterations"
    );
    assert_eq!(last.validation.nmse_per_step.len(), 2);
    assert!(rec.ledger.wall.network > 0.0 && rec.ledger.wall.physics_forward > 0.0);
}

#[test]
fn a_resumed_run_ends_with_the_same_parameters_and_record() {
    let exp = small_heat(4, prdp());
    let full_dir = tmp("full");
    let resumed_dir = tmp("resumed");
    let full = exp
        .run(
            &RunOptions {
                dir: Some(full_dir.clone()),
                stop_after: None,
            },
            None,
            &mut Silent,
        )
        .unwrap();
    // Killed after one interval, then again after another, then run to the end.
    for _ in 0..2 {
        let part = exp
            .run(
                &RunOptions {
                    dir: Some(resumed_dir.clone()),
                    stop_after: Some(1),
                },
                None,
                &mut Silent,
            )
            .unwrap();
        assert_eq!(part.status, RunStatus::Stopped);
    }
    let resumed = exp
        .run(
            &RunOptions {
                dir: Some(resumed_dir.clone()),
                stop_after: None,
            },
            None,
            &mut Silent,
        )
        .unwrap();
    assert_eq!(resumed.status, RunStatus::Completed);
    let metrics = |r: &prdp_train::RunRecord| {
        r.intervals
            .iter()
            .map(|i| {
                (
                    i.k,
                    i.train_loss.map(f64::to_bits),
                    i.validation.metric.to_bits(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(metrics(&full), metrics(&resumed));
    assert_eq!(full.ledger.cost, resumed.ledger.cost);
    let last = format!("params-{}.bin", full.intervals.len() - 1);
    let load = |d: &PathBuf| prdp_nn::Checkpoint::<f32>::load(d.join(&last)).unwrap();
    let (a, b) = (load(&full_dir), load(&resumed_dir));
    assert_eq!(a.params, b.params);
    assert_eq!(a.optimizer, b.optimizer);
    // A checkpoint of another configuration is not silently reused.
    let other = small_heat(5, prdp());
    let e = other
        .run(
            &RunOptions {
                dir: Some(resumed_dir.clone()),
                stop_after: None,
            },
            None,
            &mut Silent,
        )
        .unwrap_err();
    assert!(e.to_string().contains("another configuration"), "{e}");
    std::fs::remove_dir_all(full_dir).unwrap();
    std::fs::remove_dir_all(resumed_dir).unwrap();
}

#[test]
fn a_diverging_run_names_the_step_and_k_and_keeps_its_checkpoint() {
    let mut exp = small_heat(3, Schedule::Fixed { k: 1 });
    if let ScenarioConfig::Emulator(c) = &mut exp.scenario {
        c.optimizer = Optimizer::sgd(Lr::Constant { value: 1e12 }, 0.0);
    }
    let dir = tmp("diverge");
    let e = exp
        .run(
            &RunOptions {
                dir: Some(dir.clone()),
                stop_after: None,
            },
            None,
            &mut Silent,
        )
        .unwrap_err();
    match e {
        TrainError::Diverged { k, step, .. } => assert!(k == 1 && step >= 1),
        TrainError::NonFiniteMetric { k, .. } => assert_eq!(k, 1),
        other => panic!("expected divergence, got {other}"),
    }
    assert!(dir.join("state.json").exists() && dir.join("params-0.bin").exists());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn poisson_inverse_problem_with_prdp_refines_and_converges() {
    let mut c = presets::poisson_inverse(
        1,
        Method::Jacobi,
        DiffMode::Implicit {
            adjoint_budget: None,
        },
    );
    c.steps = 120;
    let exp = presets::experiment(
        "poisson",
        ScenarioConfig::InverseProblem(c),
        Schedule::Prdp(presets::poisson_prdp(1, 600)),
        0,
    );
    let rec = exp.run(&RunOptions::default(), None, &mut Silent).unwrap();
    let ks: Vec<usize> = rec.intervals.iter().map(|i| i.k).collect();
    assert_eq!(ks[0], 25);
    assert!(ks.windows(2).all(|w| w[1] >= w[0]), "K never decreases");
    assert!(*ks.last().unwrap() > 200, "K was refined: {ks:?}");
    assert!(
        rec.final_metric() < 1e-2,
        "parameter error {}",
        rec.final_metric()
    );
    assert_eq!(
        rec.ledger.cost,
        ks[1..].iter().map(|&k| k as u64).sum::<u64>()
    );
}

/// The message of the error a run of `exp` must end with.
fn run_error(exp: &Experiment) -> String {
    exp.run(&RunOptions::default(), None, &mut Silent)
        .unwrap_err()
        .to_string()
}

#[test]
fn configs_reject_unknown_keys_and_bad_values() {
    let toml = r#"
name = "bad"
[schedule]
kind = "prdp"
tau_step = 0.9
[scenario.emulator]
epochs = 1
batch_sise = 25
"#;
    let e = toml::from_str::<Experiment>(toml).unwrap_err();
    assert!(e.to_string().contains("batch_sise"), "{e}");
    let e = toml::from_str::<Experiment>(
        "name = 'x'\n[schedule]\nkind = 'fixed'\nk = 3\n[scenario.nonsense]\n",
    )
    .unwrap_err();
    assert!(e.to_string().contains("nonsense"), "{e}");
    let mut exp = small_heat(1, Schedule::Fixed { k: 3 });
    if let ScenarioConfig::Emulator(c) = &mut exp.scenario {
        c.batch_size = 0;
    }
    let e = run_error(&exp);
    assert!(e.contains("batch_size"), "{e}");
    let mut exp = small_heat(1, Schedule::Fixed { k: 3 });
    if let ScenarioConfig::Emulator(c) = &mut exp.scenario {
        c.validation_step = 3;
    }
    let e = run_error(&exp);
    assert!(e.contains("at least 4 states"), "{e}");
    let e = run_error(&small_heat(1, Schedule::Fixed { k: 0 }));
    assert!(e.contains("schedule.k"), "{e}");
    let e = run_error(&small_heat(0, Schedule::Fixed { k: 3 }));
    assert!(e.contains("`epochs`"), "{e}");
    // A preset round-trips through TOML.
    let exp = small_heat(2, prdp());
    let text = toml::to_string(&exp).unwrap();
    assert_eq!(toml::from_str::<Experiment>(&text).unwrap(), exp);
}
