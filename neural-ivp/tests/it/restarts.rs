//! Restarts: the trigger, the refit and its acceptance rule.

use neural_ivp::problems::Advection2d;
use neural_ivp::{
    EmbeddingConfig, FitConfig, LinearSolveConfig, NetworkConfig, NeuralIvp, NeuralIvpConfig,
    RefitInit, RestartConfig, RestartPolicy, RestartReason,
};

/// A small advection run whose restart trigger fires after every `min_steps` steps.
fn eager(restart: RestartConfig) -> NeuralIvpConfig {
    NeuralIvpConfig {
        network: NetworkConfig {
            width: 16,
            depth: 2,
            embedding: Some(EmbeddingConfig {
                frequencies: 3,
                ..Default::default()
            }),
            ..Default::default()
        },
        points: 500,
        fit: FitConfig {
            iters: 300,
            batch: 300,
            lr: 1e-2,
            head_points: 3000,
            eval_points: 1000,
            ..Default::default()
        },
        solver: LinearSolveConfig {
            rank: 20,
            ..Default::default()
        },
        eval_points: 500,
        restart: RestartConfig {
            cg_iters: 1,
            min_steps: 2,
            ..restart
        },
        ..Default::default()
    }
}

fn run(cfg: NeuralIvpConfig) -> neural_ivp::Solution {
    NeuralIvp::new(cfg)
        .unwrap()
        .solve(&Advection2d { sigma: 0.3 }, 0.05, &[0.05])
        .unwrap()
}

/// Refits rejected on their fit error leave the run exactly as without restarts.
#[test]
fn rejected_refits_change_nothing() {
    let rejected = run(eager(RestartConfig {
        max_fit_error: Some(1e-12),
        ..Default::default()
    }));
    let plain = run(eager(RestartConfig {
        enabled: false,
        ..Default::default()
    }));
    let events = &rejected.record.restarts;
    assert!(events.len() >= 2, "{events:?}");
    assert!(
        events
            .iter()
            .all(|e| !e.accepted && e.residual_after.is_none())
    );
    assert_eq!(rejected.snapshots, plain.snapshots);
}

/// An accepted refit never has a larger fresh-point residual than the state it replaced, a
/// rejected one (past the fit-error gate) has; each refit is within its fit-error bound.
#[test]
fn accepted_refits_are_no_worse() {
    for init in [RefitInit::Fresh, RefitInit::Warm] {
        let sol = run(eager(RestartConfig {
            init,
            max_fit_error: Some(0.5),
            ..Default::default()
        }));
        let events = &sol.record.restarts;
        assert!(!events.is_empty(), "{init:?}");
        for e in events {
            assert_eq!(e.reason, RestartReason::CgIterations);
            let (before, after) = (e.residual_before.unwrap(), e.residual_after.unwrap());
            assert!(e.fit.rel_error <= 0.5, "{e:?}");
            assert_eq!(e.accepted, after <= before, "{init:?} {e:?}");
        }
    }
}

/// The policy waits `min_steps` after a restart, stops at `max_restarts`, and fires on
/// eigenvalue growth relative to the first step after the last restart.
#[test]
fn policy_thresholds() {
    let mut p = RestartPolicy::new(RestartConfig {
        cg_iters: 10,
        eig_growth: 4.0,
        min_steps: 2,
        max_restarts: 2,
        ..Default::default()
    });
    assert_eq!(p.observe(50.0, 1.0), None, "before min_steps");
    assert_eq!(p.observe(50.0, 1.0), Some(RestartReason::CgIterations));
    p.restarted();
    assert_eq!(p.observe(1.0, 10.0), None);
    assert_eq!(p.observe(1.0, 39.0), None, "below 4 × the new baseline 10");
    assert_eq!(p.observe(1.0, 41.0), Some(RestartReason::EigenvalueGrowth));
    p.restarted();
    assert_eq!(p.count(), 2);
    for _ in 0..5 {
        assert_eq!(p.observe(1e3, 1e9), None, "max_restarts reached");
    }
}
