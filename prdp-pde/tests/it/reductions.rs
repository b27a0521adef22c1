//! Physical limits: zero velocity is heat diffusion, steps are divergence-free, energy decays.

use crate::common::*;
use prdp_core::{Boundary, LinearOperator};
use prdp_pde::{
    Assembly, NavierStokesConfig, NsInitialConditions, NsScheme, Physics, ReferenceStepper,
    sample_rng,
};
use prdp_solvers::{Budget, DiffMode, DiffSolver, Method};

fn apply<A: Assembly<f64>>(a: &A, g: &[f64], x: &[f64]) -> Vec<f64> {
    let mut scratch = vec![0.0; a.operator_scratch_len()];
    let op = a.operator(g, &mut scratch);
    let mut y = vec![0.0; x.len()];
    op.apply(x, &mut y);
    y
}

/// Burgers' and Navier–Stokes' momentum operators at zero velocity are the BTCS heat operator
/// I − νΔt·L (Navier–Stokes' divided by Δt).
#[test]
fn zero_velocity_is_heat_diffusion() {
    let n = 9;
    // Burgers: ν = 0.01, Δt = 0.02.
    let heat1 = prdp_pde::Heat::<f64>::new(prdp_pde::HeatConfig {
        dims: vec![2 * n],
        boundary: Boundary::Periodic,
        nu: 0.01,
        dt: 0.02,
        length: 1.0,
    })
    .unwrap();
    let x = vector(1, 2 * n);
    let want = apply(&heat1, &[], &x);
    assert!(max_abs_diff(&apply(&burgers1d(2 * n), &vec![0.0; 2 * n], &x), &want) < 1e-12);
    let heat2 = prdp_pde::Heat::<f64>::new(prdp_pde::HeatConfig {
        dims: vec![n, n],
        boundary: Boundary::Periodic,
        nu: 0.01,
        dt: 0.02,
        length: 1.0,
    })
    .unwrap();
    let x2 = vector(2, 2 * n * n);
    let got = apply(&burgers2d(n), &vec![0.0; 2 * n * n], &x2);
    for c in 0..2 {
        let w = apply(&heat2, &[], &x2[c * n * n..(c + 1) * n * n]);
        assert!(max_abs_diff(&got[c * n * n..(c + 1) * n * n], &w) < 1e-12);
    }
    // Navier–Stokes: ν = 0.01, Δt = 0.05; zero pressure.
    let heat_ns = prdp_pde::Heat::<f64>::new(prdp_pde::HeatConfig {
        dims: vec![n, n],
        boundary: Boundary::Periodic,
        nu: 0.01,
        dt: 0.05,
        length: 1.0,
    })
    .unwrap();
    for scheme in [NsScheme::Paper, NsScheme::Reference] {
        let mut x3 = vector(3, 3 * n * n);
        x3[2 * n * n..].fill(0.0);
        let got = apply(&ns(n, scheme), &vec![0.0; 3 * n * n], &x3);
        for c in 0..2 {
            let w: Vec<f64> = apply(&heat_ns, &[], &x3[c * n * n..(c + 1) * n * n])
                .iter()
                .map(|v| v / 0.05)
                .collect();
            assert!(max_abs_diff(&got[c * n * n..(c + 1) * n * n], &w) < 1e-10);
        }
    }
}

fn ns_initial_state(n: usize, scheme: NsScheme, nu: f64) -> (NavierStokesConfig, Vec<f64>) {
    let config = NavierStokesConfig {
        n,
        nu,
        dt: 0.05,
        length: 1.0,
        scheme,
    };
    let ics = NsInitialConditions::new(&config, 3e-3).unwrap();
    (config, ics.sample(&mut sample_rng(7, 0)).unwrap())
}

/// A Navier–Stokes step is discretely divergence-free: exactly (to round-off) for a direct
/// solve, to the solver tolerance for GMRES.
#[test]
fn navier_stokes_steps_are_divergence_free() {
    for scheme in [NsScheme::Paper, NsScheme::Reference] {
        let n = 16;
        let (config, u0) = ns_initial_state(n, scheme, 1e-3);
        let a = prdp_pde::NavierStokes::<f64>::new(config).unwrap();
        let mut div = vec![0.0; n * n];
        a.divergence(&u0, &mut div);
        assert!(
            norm(&div) < 1e-9 * norm(&u0),
            "initial state: |div| = {}",
            norm(&div)
        );
        let mut u1 = vec![0.0; 3 * n * n];
        ReferenceStepper::new(a.clone())
            .unwrap()
            .step(&u0, &mut u1)
            .unwrap();
        a.divergence(&u1, &mut div);
        assert!(
            norm(&div) < 1e-9 * norm(&u1),
            "direct step: |div| = {}",
            norm(&div)
        );
        let rtol = 1e-6;
        let solver = DiffSolver::new(
            Method::Gmres { restart: 20 },
            Budget::new(500, rtol).unwrap(),
            DiffMode::default(),
        )
        .unwrap();
        let mut p = Physics::new(a.clone(), solver).unwrap();
        p.forward_batch(&u0, &mut u1, 1).unwrap();
        a.divergence(&u1, &mut div);
        let b_norm = norm(&u0[..2 * n * n]) / 0.05;
        assert!(
            norm(&div) <= rtol * b_norm,
            "GMRES step: |div| = {} > {}",
            norm(&div),
            rtol * b_norm
        );
    }
}

/// Kinetic energy decays step by step for ν > 0 (Navier–Stokes, both schemes) and the L²
/// energy of Burgers decays too.
#[test]
fn energy_decays() {
    for scheme in [NsScheme::Paper, NsScheme::Reference] {
        let n = 16;
        let (config, u0) = ns_initial_state(n, scheme, 1e-3);
        let a = prdp_pde::NavierStokes::<f64>::new(config).unwrap();
        let steps = 8;
        let mut traj = vec![0.0; (steps + 1) * u0.len()];
        ReferenceStepper::new(a.clone())
            .unwrap()
            .rollout(&u0, steps, 1, &mut traj)
            .unwrap();
        let e: Vec<f64> = traj
            .chunks_exact(u0.len())
            .map(|s| a.kinetic_energy(s))
            .collect();
        assert!(
            e.windows(2).all(|w| w[1] < w[0]),
            "{scheme:?}: energies {e:?}"
        );
    }
    let b = burgers1d(64);
    let u0: Vec<f64> = (0..64)
        .map(|i| (2.0 * core::f64::consts::PI * i as f64 / 64.0).sin() + 0.3)
        .collect();
    let mut traj = vec![0.0; 11 * 64];
    ReferenceStepper::new(b)
        .unwrap()
        .rollout(&u0, 10, 1, &mut traj)
        .unwrap();
    let e: Vec<f64> = traj.chunks_exact(64).map(|s| dot(s, s)).collect();
    assert!(e.windows(2).all(|w| w[1] < w[0]), "Burgers energies {e:?}");
}
