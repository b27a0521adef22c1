//! Runge–Kutta orders, adaptivity and dense output.

use neural_ivp::{Integrator, RkScheme, StepControl};

type Rhs<'a> = dyn FnMut(f64, &[f64], &mut [f64]) + 'a;

/// Fixed-step run (huge tolerance, no growth) of `f` to `t_end` with `steps` steps.
fn fixed(method: RkScheme, steps: usize, y0: f64, t_end: f64, f: &mut Rhs<'_>) -> f64 {
    let h = t_end / steps as f64;
    let ctl = StepControl {
        method,
        h0: Some(h),
        rtol: 1e10,
        atol: 1e10,
        max_growth: 1.0,
        ..Default::default()
    };
    let mut rk = Integrator::new(ctl, 0.0, vec![y0], t_end).unwrap();
    let mut sys = |t: f64, y: &[f64], dy: &mut [f64]| f(t, y, dy);
    while rk.t() < t_end {
        rk.step(&mut sys, t_end).unwrap();
    }
    rk.y()[0]
}

fn observed_order(method: RkScheme, y0: f64, t_end: f64, exact: f64, f: &mut Rhs<'_>) -> f64 {
    // step counts in the asymptotic range and well above round-off for each method
    let n = match method {
        RkScheme::Bs23 => 40,
        RkScheme::Dp54 => 20,
        RkScheme::Rk4 => 80,
    };
    let e1 = (fixed(method, n, y0, t_end, f) - exact).abs();
    let e2 = (fixed(method, 2 * n, y0, t_end, f) - exact).abs();
    (e1 / e2).log2()
}

/// y′ = λy and y′ = 7y²t³ (y = 1/(1/y₀ − 7t⁴/4)): observed orders 3, 5 and 4.
#[test]
fn methods_reach_their_orders() {
    for (method, order) in [
        (RkScheme::Bs23, 3.0),
        (RkScheme::Dp54, 5.0),
        (RkScheme::Rk4, 4.0),
    ] {
        let lambda = -1.3;
        let mut lin = |_t: f64, y: &[f64], dy: &mut [f64]| dy[0] = lambda * y[0];
        let q = observed_order(method, 1.0, 1.0, lambda.exp(), &mut lin);
        assert!((q - order).abs() < 0.25, "{method:?} on y' = λy: order {q}");
        let mut nonlin = |t: f64, y: &[f64], dy: &mut [f64]| dy[0] = 7.0 * y[0] * y[0] * t * t * t;
        let exact = 1.0 / (2.0 - 7.0 * 0.8f64.powi(4) / 4.0);
        let q = observed_order(method, 0.5, 0.8, exact, &mut nonlin);
        assert!(
            (q - order).abs() < 0.35,
            "{method:?} on y' = 7y²t³: order {q}"
        );
    }
}

/// Adaptive runs meet their tolerance, FSAL saves an evaluation per step, and dense output is
/// accurate inside steps.
#[test]
fn adaptive_control_and_dense_output() {
    for (method, stages) in [(RkScheme::Bs23, 3), (RkScheme::Dp54, 6)] {
        let ctl = StepControl {
            method,
            rtol: 1e-7,
            atol: 1e-9,
            ..Default::default()
        };
        let mut rk = Integrator::new(ctl, 0.0, vec![1.0, 0.0], 3.0).unwrap();
        let mut osc = |_t: f64, y: &[f64], dy: &mut [f64]| {
            dy[0] = y[1];
            dy[1] = -y[0];
        };
        let mut worst_dense = 0.0f64;
        let mut accepted = 0;
        let mut rejected = 0;
        while rk.t() < 3.0 {
            let info = rk.step(&mut osc, 3.0).unwrap();
            accepted += 1;
            rejected += info.rejected;
            let mut out = [0.0; 2];
            let tm = info.t0 + 0.37 * info.h;
            rk.dense(tm, &mut out).unwrap();
            worst_dense = worst_dense.max((out[0] - tm.cos()).abs());
        }
        let err = (rk.y()[0] - 3.0f64.cos()).abs();
        assert!(err < 1e-5, "{method:?}: global error {err}");
        assert!(worst_dense < 1e-5, "{method:?}: dense error {worst_dense}");
        assert_eq!(
            rk.evaluations(),
            1 + stages * (accepted + rejected),
            "{method:?}: FSAL evaluation count"
        );
    }
}

/// Bad controls are rejected, naming the key.
#[test]
fn bad_step_control_is_an_error() {
    let ctl = StepControl {
        safety: 1.5,
        ..Default::default()
    };
    let e = Integrator::new(ctl, 0.0, vec![1.0], 1.0).unwrap_err();
    assert!(e.to_string().contains("integrator.safety"), "{e}");
    let ctl = StepControl {
        method: RkScheme::Rk4,
        h0: None,
        ..Default::default()
    };
    assert!(
        Integrator::new(ctl, 0.0, vec![1.0], 1.0)
            .unwrap_err()
            .to_string()
            .contains("integrator.h0")
    );
}

/// The public code's norm: steps accepted on ‖e‖₂ ≤ rtol·‖y₀‖₂. On y′ = −y from a state whose
/// components differ by 10⁴ the global error stays near rtol·‖y₀‖ (small components are not
/// protected), the step count falls as the tolerance loosens, and a zero initial state is an
/// error.
#[test]
fn initial_scaled_norm() {
    use neural_ivp::ErrorNorm;
    let run = |rtol: f64| {
        let ctl = StepControl {
            method: RkScheme::Bs23,
            rtol,
            norm: ErrorNorm::InitialScaled,
            ..Default::default()
        };
        let mut rk = Integrator::new(ctl, 0.0, vec![1.0, 1e-4], 1.0).unwrap();
        let mut sys = |_t: f64, y: &[f64], dy: &mut [f64]| {
            dy[0] = -y[0];
            dy[1] = -y[1];
        };
        let mut steps = 0;
        while rk.t() < 1.0 {
            rk.step(&mut sys, 1.0).unwrap();
            steps += 1;
        }
        let e = (-1.0f64).exp();
        (
            (rk.y()[0] - e).abs().max((rk.y()[1] - 1e-4 * e).abs()),
            steps,
        )
    };
    let (tight, n_tight) = run(1e-7);
    let (loose, n_loose) = run(1e-3);
    assert!(tight < 1e-6 && loose < 1e-2, "{tight} {loose}");
    assert!(loose > 10.0 * tight, "{tight} {loose}");
    assert!(n_loose * 4 < n_tight, "{n_loose} vs {n_tight} steps");
    let zero = Integrator::new(
        StepControl {
            norm: ErrorNorm::InitialScaled,
            ..Default::default()
        },
        0.0,
        vec![0.0; 3],
        1.0,
    );
    assert!(zero.is_err());
}
