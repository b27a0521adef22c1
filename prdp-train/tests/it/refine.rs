//! The PRDP controller on hand-made metric histories: every branch of Algorithm 4 as the
//! reference code implements it.

use prdp_train::{Decision, InitialCheckpoint, KSchedule, PrdpConfig, Refiner, TrainError};

fn raw(delta: usize, tau_step: f64, tau_stop: f64) -> Refiner {
    Refiner::new(KSchedule::Prdp(PrdpConfig {
        delta,
        tau_step,
        tau_stop,
        ema_window: None,
        ..PrdpConfig::default()
    }))
    .unwrap()
}

fn feed(r: &mut Refiner, values: &[f64]) -> Vec<Decision> {
    values.iter().map(|&v| r.observe(v).unwrap()).collect()
}

#[test]
fn history_no_longer_than_delta_never_refines() {
    let mut r = raw(3, 0.9, 0.9);
    // Perfectly flat, but only 3 values: no decision yet.
    assert_eq!(feed(&mut r, &[1.0, 1.0, 1.0]), vec![Decision::Warmup; 3]);
    assert_eq!(r.k(), 1);
    // The fourth value can refine.
    assert_eq!(r.observe(1.0).unwrap(), Decision::Refine);
    assert_eq!(r.k(), 2);
}

#[test]
fn ratio_uses_python_index_minus_delta() {
    // δ = 3 compares the newest value with the one δ − 1 = 2 intervals earlier (index −3):
    // in [5, 1, 0.1, 0.95] that is 1.0, so r = 0.95 > τ_step = 0.94 and it refines. A lag of
    // δ = 3 intervals (5.0) or of 1 (0.1) would give r = 0.19 or 9.5 and other decisions.
    let mut r = raw(3, 0.94, 0.9);
    feed(&mut r, &[5.0, 1.0, 0.1]);
    assert_eq!(r.observe(0.95).unwrap(), Decision::Refine);
    let mut r = raw(3, 0.94, 0.9);
    feed(&mut r, &[5.0, 1.0, 0.1]);
    assert_eq!(
        r.observe(0.9).unwrap(),
        Decision::Improving,
        "r = 0.9 / 1.0 <= 0.94"
    );
}

#[test]
fn plateau_refines_and_improvement_keeps_coarse_physics() {
    let mut r = raw(2, 0.92, 0.9);
    // Steady improvement by halving: r = 0.5 <= 0.92 keeps K.
    assert_eq!(
        feed(&mut r, &[1.0, 0.5, 0.25]),
        vec![Decision::Warmup, Decision::Warmup, Decision::Improving]
    );
    assert_eq!(r.k(), 1);
    // Plateau: r = 0.24 / 0.25 = 0.96 > 0.92, checkpoint +∞ → refine, c = 0.24.
    assert_eq!(r.observe(0.24).unwrap(), Decision::Refine);
    assert_eq!((r.k(), r.checkpoint()), (2, 0.24));
    // Improvement again, then a plateau 50% below the checkpoint: refine.
    assert_eq!(r.observe(0.12).unwrap(), Decision::Improving);
    assert_eq!(r.observe(0.119).unwrap(), Decision::Refine);
    assert_eq!(r.k(), 3);
    assert_eq!(r.refinements(), &[3, 5]);
}

#[test]
fn plateau_without_gain_over_the_checkpoint_stops_refining() {
    let mut r = raw(2, 0.92, 0.9);
    feed(&mut r, &[1.0, 0.5, 0.25, 0.24]);
    assert_eq!(r.k(), 2);
    // A new plateau at 0.23: r_c = 0.23 / 0.24 = 0.958, between τ_stop = 0.9 and 1: K_max.
    assert_eq!(
        feed(&mut r, &[0.23, 0.23, 0.229]),
        vec![Decision::Saturated; 3]
    );
    assert_eq!(r.k(), 2);
    assert_eq!(
        r.checkpoint(),
        0.24,
        "the checkpoint only moves on refinement"
    );
}

#[test]
fn divergent_start_refines_when_worse_than_the_checkpoint() {
    // The untrained error is the checkpoint (heat-2D notebook); coarse physics makes training
    // diverge to a plateau above it: r_c > 1 refines.
    let mut r = Refiner::new(KSchedule::Prdp(PrdpConfig {
        delta: 2,
        tau_step: 0.9,
        ema_window: None,
        initial_checkpoint: InitialCheckpoint::FirstMetric,
        ..PrdpConfig::default()
    }))
    .unwrap();
    assert_eq!(
        feed(&mut r, &[1.0, 3.0]),
        vec![Decision::Warmup, Decision::Warmup]
    );
    assert_eq!(r.observe(3.1).unwrap(), Decision::Refine);
    assert_eq!(r.checkpoint(), 3.1);
    // Still diverging above the new checkpoint: refine again.
    assert_eq!(r.observe(3.2).unwrap(), Decision::Refine);
    assert_eq!(r.k(), 3);
}

#[test]
fn a_later_drop_after_learning_rate_decay_re_enables_refinement() {
    let mut r = raw(2, 0.92, 0.9);
    feed(&mut r, &[1.0, 0.5, 0.25, 0.24]);
    assert_eq!(feed(&mut r, &[0.235, 0.234]), vec![Decision::Saturated; 2]);
    // The learning rate decays and the metric drops well below the checkpoint.
    assert_eq!(r.observe(0.1).unwrap(), Decision::Improving);
    // The new plateau is 60% below the checkpoint: refinement resumes (the stop is not latched).
    assert_eq!(r.observe(0.099).unwrap(), Decision::Refine);
    assert_eq!(r.k(), 3);
}

#[test]
fn non_finite_metric_is_an_error_naming_k() {
    let mut r = raw(2, 0.92, 0.9);
    r.observe(1.0).unwrap();
    let e = r.observe(f64::NAN).unwrap_err();
    assert!(
        matches!(e, TrainError::NonFiniteMetric { index: 1, k: 1, .. }),
        "{e}"
    );
    assert!(r.observe(f64::INFINITY).is_err());
    assert_eq!(r.history(), &[1.0]);
}

#[test]
fn ema_matches_the_reference_formula() {
    // numpy_ewma: y0 = x0, yi = (1 − α) y(i−1) + α xi with α = 2/(window + 1).
    let mut r = Refiner::new(KSchedule::Prdp(PrdpConfig {
        ema_window: Some(8),
        ..PrdpConfig::default()
    }))
    .unwrap();
    let xs = [2.0, 1.0, 0.7, 0.65, 0.6, 0.61];
    feed(&mut r, &xs);
    let alpha = 2.0 / 9.0;
    let mut y = xs[0];
    let mut expected = vec![y];
    for &x in &xs[1..] {
        y = (1.0 - alpha) * y + alpha * x;
        expected.push(y);
    }
    for (a, b) in r.smoothed().iter().zip(&expected) {
        assert!((a - b).abs() < 1e-15);
    }
}

#[test]
fn cap_limits_k() {
    let mut r = Refiner::new(KSchedule::Prdp(PrdpConfig {
        k0: 25,
        dk: 10,
        delta: 2,
        tau_step: 0.92,
        ema_window: None,
        cap: Some(30),
        ..PrdpConfig::default()
    }))
    .unwrap();
    feed(&mut r, &[1.0, 1.0]);
    assert_eq!(r.observe(1.0).unwrap(), Decision::Refine);
    assert_eq!(r.k(), 30);
    assert_eq!(r.observe(0.5).unwrap(), Decision::Improving);
    assert_eq!(r.observe(0.49).unwrap(), Decision::AtCap);
    assert_eq!(r.k(), 30);
}

#[test]
fn fixed_and_linear_schedules() {
    let mut f = Refiner::new(KSchedule::Fixed { k: 25 }).unwrap();
    assert_eq!(f.observe(1.0).unwrap(), Decision::Improving);
    f.on_update_step();
    assert_eq!(f.k(), 25);
    // Section 2.2: K starts at 25 and grows by 6 per update step up to K_ε = 600.
    let mut l = Refiner::new(KSchedule::Linear {
        k0: 25,
        dk: 6,
        cap: 600,
    })
    .unwrap();
    let ks: Vec<usize> = (0..3)
        .map(|_| {
            let k = l.k();
            l.on_update_step();
            k
        })
        .collect();
    assert_eq!(ks, vec![25, 31, 37]);
    for _ in 0..200 {
        l.on_update_step();
    }
    assert_eq!(l.k(), 600);
}

#[test]
fn invalid_configs_name_the_key() {
    let bad = |c: PrdpConfig| Refiner::new(KSchedule::Prdp(c)).unwrap_err().to_string();
    assert!(
        bad(PrdpConfig {
            delta: 1,
            ..PrdpConfig::default()
        })
        .contains("prdp.delta")
    );
    assert!(
        bad(PrdpConfig {
            tau_step: -0.5,
            ..PrdpConfig::default()
        })
        .contains("prdp.tau_step")
    );
    assert!(
        bad(PrdpConfig {
            k0: 0,
            ..PrdpConfig::default()
        })
        .contains("prdp.k0")
    );
    assert!(
        bad(PrdpConfig {
            ema_window: Some(0),
            ..PrdpConfig::default()
        })
        .contains("prdp.ema_window")
    );
    assert!(
        bad(PrdpConfig {
            k0: 5,
            cap: Some(3),
            ..PrdpConfig::default()
        })
        .contains("prdp.cap")
    );
    assert!(
        Refiner::new(KSchedule::Fixed { k: 0 })
            .unwrap_err()
            .to_string()
            .contains("schedule.k")
    );
    let e = serde_json::from_str::<PrdpConfig>(r#"{"tau_stepp": 0.9}"#).unwrap_err();
    assert!(e.to_string().contains("tau_stepp"), "{e}");
}

#[test]
fn thresholds_above_one_are_rejected_naming_the_key_and_range() {
    let with = |tau_step: f64, tau_stop: f64| {
        Refiner::new(KSchedule::Prdp(PrdpConfig {
            tau_step,
            tau_stop,
            ..PrdpConfig::default()
        }))
    };
    for (tau_step, tau_stop, key) in [
        (1.01, 0.9, "prdp.tau_step"),
        (0.95, 1.5, "prdp.tau_stop"),
        (0.0, 0.9, "prdp.tau_step"),
        (f64::NAN, 0.9, "prdp.tau_step"),
    ] {
        let e = with(tau_step, tau_stop).unwrap_err();
        match &e {
            TrainError::Config { key: k, .. } => assert_eq!(k, key),
            other => panic!("expected a config error, got {other}"),
        }
        assert!(e.to_string().contains("(0, 1]"), "{e}");
    }
    // The range is closed at 1.
    assert!(with(1.0, 1.0).is_ok());
}
