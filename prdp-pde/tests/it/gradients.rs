//! VJPs of every assembly's physics step against central finite differences (f64), including
//! the state-dependent matrices of Burgers and Navier–Stokes. Inputs are random, so no upwind
//! face wind lies within the finite-difference step of a switch point.

use crate::common::*;
use prdp_core::Boundary;
use prdp_pde::{Assembly, NsScheme, Physics};
use prdp_solvers::{Budget, DiffMode, DiffSolver, Method};

fn converged(method: Method) -> DiffSolver {
    let b = Budget::new(3000, 1e-13).unwrap();
    DiffSolver::new(
        method,
        b,
        DiffMode::Implicit {
            adjoint_budget: Some(b),
        },
    )
    .unwrap()
}

fn unrolled(method: Method, k: usize) -> DiffSolver {
    DiffSolver::new(method, Budget::fixed(k), DiffMode::Unrolled).unwrap()
}

/// L(g) = Σ_s w_sᵀ P_K(g_s) over a batch.
fn loss<A: Assembly<f64> + Clone>(
    a: &A,
    solver: DiffSolver,
    g: &[f64],
    w: &[f64],
    count: usize,
) -> f64 {
    let mut p = Physics::new(a.clone(), solver).unwrap();
    let mut u = vec![0.0; w.len()];
    p.forward_batch(g, &mut u, count).unwrap();
    dot(&u, w)
}

fn check<A: Assembly<f64> + Clone>(a: &A, solver: DiffSolver, seed: u64, tol: f64) {
    let count = 2;
    let g = vector(seed, count * a.input_len());
    let w = vector(seed + 1, count * a.state_len());
    let mut p = Physics::new(a.clone(), solver).unwrap();
    let mut u = vec![0.0; w.len()];
    p.forward_batch(&g, &mut u, count).unwrap();
    let mut g_bar = vec![f64::NAN; g.len()];
    p.vjp_batch(&w, &mut g_bar).unwrap();
    let h = 1e-6;
    let mut directions = vec![vector(seed + 2, g.len())];
    for i in [0, g.len() / 3, g.len() - 1] {
        let mut e = vec![0.0; g.len()];
        e[i] = 1.0;
        directions.push(e);
    }
    for d in directions {
        let gp: Vec<f64> = g.iter().zip(&d).map(|(x, y)| x + h * y).collect();
        let gm: Vec<f64> = g.iter().zip(&d).map(|(x, y)| x - h * y).collect();
        let fd = (loss(a, solver, &gp, &w, count) - loss(a, solver, &gm, &w, count)) / (2.0 * h);
        let ad = dot(&g_bar, &d);
        assert!(
            (fd - ad).abs() <= tol * (1.0 + fd.abs()),
            "{} with {} ({:?}): AD {ad:e} vs FD {fd:e}",
            a.describe(),
            solver.method.name(),
            solver.mode
        );
    }
}

#[test]
fn poisson_gradients() {
    let a = poisson(20, 3);
    check(&a, converged(Method::Jacobi), 1, 1e-5);
    check(&a, unrolled(Method::Jacobi, 9), 2, 1e-6);
    check(&a, unrolled(Method::SteepestDescent, 6), 3, 1e-6);
}

#[test]
fn heat_gradients() {
    for b in [Boundary::Dirichlet, Boundary::Periodic] {
        let a = heat(&[6, 5], b);
        check(
            &a,
            converged(Method::Cg {
                preconditioner: Default::default(),
            }),
            4,
            1e-5,
        );
        check(&a, unrolled(Method::Jacobi, 7), 5, 1e-6);
        check(&heat(&[4, 3, 5], b), unrolled(Method::Jacobi, 4), 6, 1e-6);
    }
}

#[test]
fn burgers_gradients() {
    let a = burgers1d(16);
    check(&a, converged(Method::Gmres { restart: 16 }), 7, 1e-5);
    check(&a, converged(Method::BiCgStab), 8, 1e-5);
    check(&a, unrolled(Method::Jacobi, 6), 9, 1e-6);
    let a2 = burgers2d(7);
    check(&a2, converged(Method::Gmres { restart: 30 }), 10, 1e-5);
    check(&a2, unrolled(Method::Jacobi, 5), 11, 1e-6);
}

#[test]
fn navier_stokes_gradients() {
    for scheme in [NsScheme::Paper, NsScheme::Reference] {
        let a = ns(8, scheme);
        check(&a, converged(Method::Gmres { restart: 60 }), 12, 1e-5);
    }
}
