//! Bad input is reported with clear errors.

use crate::common::*;
use prdp_core::Boundary;
use prdp_pde::{
    Assembly, Burgers1d, BurgersConfig, Heat, HeatConfig, NavierStokes, NavierStokesConfig,
    PdeError, Physics, Poisson, PoissonConfig, ReferenceStepper,
};
use prdp_solvers::{Budget, DiffMode, DiffSolver, Method};

fn msg<T>(r: Result<T, PdeError>) -> String {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn invalid_parameters() {
    let m = msg(Heat::<f32>::new(HeatConfig {
        nu: -1.0,
        ..HeatConfig::paper(1)
    }));
    assert_eq!(m, "nu must be > 0, got -1");
    assert!(
        msg(Heat::<f32>::new(HeatConfig {
            dt: 0.0,
            ..HeatConfig::paper(2)
        }))
        .starts_with("dt must be > 0")
    );
    assert!(
        msg(Heat::<f32>::new(HeatConfig {
            dims: vec![],
            ..HeatConfig::paper(1)
        }))
        .contains("dims")
    );
    assert!(
        msg(Heat::<f32>::new(HeatConfig {
            dims: vec![2; 4],
            ..HeatConfig::paper(1)
        }))
        .contains("1 to 3 axes")
    );
    assert!(
        msg(Heat::<f32>::new(HeatConfig {
            dims: vec![2],
            boundary: Boundary::Periodic,
            ..HeatConfig::paper(1)
        }))
        .contains(">= 3")
    );
    assert!(
        msg(Burgers1d::<f32>::new(BurgersConfig {
            n: 2,
            ..BurgersConfig::default()
        }))
        .starts_with("n must be >= 3")
    );
    assert!(
        msg(Burgers1d::<f32>::new(BurgersConfig {
            nu: f64::NAN,
            ..BurgersConfig::default()
        }))
        .starts_with("nu must be")
    );
    assert!(
        msg(NavierStokes::<f32>::new(NavierStokesConfig {
            dt: -0.1,
            ..Default::default()
        }))
        .starts_with("dt must be > 0")
    );
    assert!(
        msg(NavierStokes::<f32>::new(NavierStokesConfig {
            n: 1,
            ..Default::default()
        }))
        .starts_with("n must be >= 3")
    );
    assert!(
        msg(Poisson::<f32>::new(PoissonConfig { n: 30, modes: 0 }))
            .starts_with("modes must be >= 1")
    );
    let cfg: Result<HeatConfig, _> = serde_json::from_str(r#"{"dims": [30], "nuu": 1.0}"#);
    assert!(cfg.is_err(), "unknown config keys are rejected");
}

#[test]
fn wrong_lengths_and_non_finite_states() {
    let heat = Heat::<f32>::new(HeatConfig::paper(2)).unwrap();
    let stepper = ReferenceStepper::new(heat.clone()).unwrap();
    let mut u = vec![0.0f32; 900];
    let m = msg(stepper.step(&vec![0.0; 899], &mut u));
    assert!(
        m.starts_with("input g has 899 values, expected 900 (") && m.contains("30x30 grid"),
        "{m}"
    );
    let mut bad = vec![0.0f32; 900];
    bad[17] = f32::NAN;
    assert!(msg(stepper.step(&bad, &mut u)).contains("entry 17 is NaN"));

    let solver = DiffSolver::new(Method::Jacobi, Budget::fixed(3), DiffMode::default()).unwrap();
    let mut p = Physics::new(heat, solver).unwrap();
    let m = msg(p.forward_batch(&vec![0.0; 1799], &mut vec![0.0; 1800], 2));
    assert!(
        m.starts_with("input g has 1799 values, expected 1800 (2 sample(s) of 900 values"),
        "{m}"
    );
    assert!(msg(p.forward_batch(&[], &mut [], 0)).starts_with("count must be >= 1"));
    let mut g = vec![0.0f32; 1800];
    g[900 + 3] = f32::INFINITY;
    let m = msg(p.forward_batch(&g, &mut vec![0.0; 1800], 2));
    assert!(
        m.contains("sample 1") && m.contains("entry 3 is inf"),
        "{m}"
    );
    p.forward_batch(&vec![1.0; 900], &mut u, 1).unwrap();
    assert!(msg(p.vjp_batch(&vec![0.0; 900], &mut vec![0.0; 899])).contains("g_bar"));
    let mut ub = vec![0.0f32; 900];
    ub[0] = f32::NAN;
    assert!(msg(p.vjp_batch(&ub, &mut vec![0.0; 900])).contains("u_bar of sample 0"));

    let poisson = Poisson::<f64>::new(PoissonConfig::default()).unwrap();
    let mut p = Physics::new(
        poisson,
        DiffSolver::new(Method::Jacobi, Budget::fixed(3), DiffMode::default()).unwrap(),
    )
    .unwrap();
    assert!(msg(p.rollout(&[1.0], 2, 1, &mut [0.0; 3])).contains("time stepper"));
    let b = burgers1d(8);
    assert_eq!(b.input_len(), 8);
}
