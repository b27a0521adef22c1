//! Optimisers against hand-computed updates (optax's formulas).

use prdp_nn::{LrSchedule, NnError, Optimizer};

use crate::common::vector;

const GRADS: [f64; 3] = [0.5, -0.25, 1.0];

fn run(opt: &Optimizer, x0: f64) -> Vec<f64> {
    let mut x = vec![x0];
    let mut state = opt.init(1);
    GRADS
        .iter()
        .map(|&g| {
            opt.update(&mut x, &[g], &mut state).unwrap();
            x[0]
        })
        .collect()
}

fn assert_close(got: &[f64], want: &[f64]) {
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g - w).abs() <= 1e-15 * w.abs().max(1.0),
            "{got:?} vs {want:?}"
        );
    }
}

fn lr(value: f64) -> LrSchedule {
    LrSchedule::Constant { value }
}

#[test]
fn adam_matches_hand_computed_steps() {
    assert_close(
        &run(&Optimizer::adam(lr(0.1)), 1.0),
        &[0.900000002, 0.8733662987078463, 0.8075551396770898],
    );
}

#[test]
fn adamw_matches_hand_computed_steps() {
    assert_close(
        &run(&Optimizer::adamw(lr(0.1), 0.01), 2.0),
        &[1.8980000019999999, 1.8694682987058462, 1.8017876713763838],
    );
}

#[test]
fn sgd_momentum_and_nesterov_match_hand_computed_steps() {
    assert_close(
        &run(&Optimizer::sgd(lr(0.1), 0.9), 1.0),
        &[0.95, 0.93, 0.812],
    );
    let nesterov = Optimizer::Sgd {
        learning_rate: lr(0.1),
        momentum: 0.9,
        nesterov: true,
    };
    assert_close(&run(&nesterov, 1.0), &[0.905, 0.912, 0.7058]);
    assert_close(
        &run(&Optimizer::sgd(lr(0.1), 0.0), 1.0),
        &[0.95, 0.975, 0.875],
    );
    assert!(Optimizer::sgd(lr(0.1), 0.0).init::<f64>(5).mu.is_empty());
}

#[test]
fn the_schedule_is_read_at_the_step_count() {
    let opt = Optimizer::sgd(
        LrSchedule::ExponentialDecay {
            init_value: 1.0,
            transition_steps: 1,
            decay_rate: 0.5,
            transition_begin: 0,
            staircase: true,
            end_value: None,
        },
        0.0,
    );
    // Steps use learning rates 1, 0.5, 0.25.
    assert_close(&run(&opt, 0.0), &[-0.5, -0.375, -0.625]);
}

/// Long vectors take the parallel path; every entry must follow the scalar recursion.
#[test]
fn parallel_blocks_equal_the_scalar_update() {
    let n = (1 << 17) + 3;
    let opt = Optimizer::adamw(lr(1e-2), 1e-3);
    let mut x = vector(1, n);
    let x0 = x.clone();
    let mut state = opt.init(n);
    let grads = [vector(2, n), vector(3, n)];
    for g in &grads {
        opt.update(&mut x, g, &mut state).unwrap();
    }
    for i in [0, 1, n / 2, n - 1] {
        let mut xi = vec![x0[i]];
        let mut si = opt.init(1);
        for g in &grads {
            opt.update(&mut xi, &[g[i]], &mut si).unwrap();
        }
        assert_eq!(xi[0], x[i], "entry {i}");
        assert_eq!(si.mu[0], state.mu[i]);
        assert_eq!(si.nu[0], state.nu[i]);
    }
    assert_eq!(state.step, 2);
}

#[test]
fn optimisers_validate_and_check_lengths() {
    let opt = Optimizer::adam(lr(1e-3));
    let mut state = opt.init::<f32>(3);
    assert!(matches!(
        opt.update(&mut [0.0f32; 3], &[0.0; 2], &mut state),
        Err(NnError::Length { .. })
    ));
    let err = opt
        .update(&mut [0.0f32; 4], &[0.0; 4], &mut state)
        .unwrap_err();
    assert!(err.to_string().contains("adam_m"), "{err}");
    assert!(opt.validate().is_ok());
    let bad = Optimizer::Adam {
        learning_rate: lr(1e-3),
        b1: 1.0,
        b2: 0.999,
        eps: 1e-8,
        eps_root: 0.0,
    };
    assert!(
        bad.validate()
            .unwrap_err()
            .to_string()
            .contains("optimizer.b1")
    );
    assert!(Optimizer::adam(lr(f64::NAN)).validate().is_err());
    assert!(Optimizer::adamw(lr(1e-3), -1.0).validate().is_err());
}

#[test]
fn optimizer_config_round_trips_through_json() {
    let opt = Optimizer::adamw(
        LrSchedule::CosineDecay {
            init_value: 1e-3,
            decay_steps: 100,
            alpha: 0.0,
            exponent: 1.0,
        },
        1e-4,
    );
    let json = serde_json::to_string(&opt).unwrap();
    assert_eq!(serde_json::from_str::<Optimizer>(&json).unwrap(), opt);
    let short: Optimizer = serde_json::from_str(
        r#"{"kind": "adam", "learning_rate": {"kind": "constant", "value": 0.001}}"#,
    )
    .unwrap();
    assert_eq!(short, Optimizer::adam(lr(0.001)));
    assert!(serde_json::from_str::<Optimizer>(r#"{"kind": "adam", "learning_rate": {"kind": "constant", "value": 0.001}, "beta1": 0.9}"#).is_err());
}
