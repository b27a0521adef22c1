//! Every solver converges to faer's direct solution.

use crate::common::{direct, dominant, nonsymmetric, poisson_1d, poisson_2d, spd};
use prdp_core::LinearOperator;
use prdp_solvers::{Budget, Method, PreconditionerKind, SolveOptions, Workspace};
use prdp_testing::{rel_err, vector};
use proptest::prelude::*;

fn check<A: LinearOperator<f64>>(method: Method, a: &A, b: &[f64], max_iters: usize, tol: f64) {
    let x_ref = direct(a, b);
    let mut x = vec![0.0; b.len()];
    let budget = Budget::new(max_iters, 1e-12).unwrap();
    let r = method
        .solve(
            a,
            b,
            &mut x,
            &budget,
            &SolveOptions::default(),
            &mut Workspace::new(),
        )
        .unwrap();
    assert!(
        r.converged(),
        "{} did not converge on {}: {r:?}",
        method.name(),
        a.describe()
    );
    assert!(r.rel_residual < 1e-12);
    let e = rel_err(&x, &x_ref);
    assert!(
        e < tol,
        "{} on {}: error {e:e} against faer",
        method.name(),
        a.describe()
    );
}

const ALL: [Method; 7] = [
    Method::Jacobi,
    Method::SteepestDescent,
    Method::Cg {
        preconditioner: PreconditionerKind::None,
    },
    Method::Cg {
        preconditioner: PreconditionerKind::Jacobi,
    },
    Method::Gmres { restart: 2 },
    Method::Gmres { restart: 8 },
    Method::BiCgStab,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn all_methods_on_spd_dominant_systems(n in 1usize..80, seed in 0u64..10_000) {
        let a = spd(seed, n);
        let b = vector(seed + 1, n);
        for m in ALL {
            check(m, &a, &b, 20_000, 1e-9);
        }
    }

    #[test]
    fn nonsymmetric_solvers_on_dominant_systems(n in 1usize..80, seed in 0u64..10_000) {
        let a = dominant(seed, n);
        let b = vector(seed + 2, n);
        for m in [Method::Jacobi, Method::Gmres { restart: 2 }, Method::Gmres { restart: 8 }, Method::BiCgStab] {
            check(m, &a, &b, 20_000, 1e-9);
        }
    }

    #[test]
    fn krylov_solvers_on_non_dominant_nonsymmetric_systems(n in 2usize..60, seed in 0u64..10_000) {
        let a = nonsymmetric(seed, n);
        let b = vector(seed + 3, n);
        for m in [Method::Gmres { restart: 5 }, Method::Gmres { restart: 20 }, Method::BiCgStab] {
            check(m, &a, &b, 5_000, 1e-8);
        }
    }
}

#[test]
fn poisson_matrices_of_the_paper() {
    // Negative definite: Jacobi, steepest descent and CG still converge.
    let a = poisson_1d(30);
    let b = vector(7, 30);
    for m in ALL {
        check(m, &a, &b, 100_000, 1e-8);
    }
    let a = poisson_2d(12);
    let b = vector(8, 144);
    for m in ALL {
        check(m, &a, &b, 100_000, 1e-8);
    }
}

#[test]
fn poisson_1d_needs_about_600_jacobi_iterations_at_epsilon_1e5() {
    // The paper's K_ε = 600 for Poisson 1D with N = 30 and ε = 1e-5 (section 2.2), with the
    // right-hand side sin(2πx).
    let n = 30;
    let a = poisson_1d(n);
    let b: Vec<f64> = (1..=n)
        .map(|i| -2.0 * (2.0 * std::f64::consts::PI * i as f64 / 31.0).sin())
        .collect();
    let mut x = vec![0.0; n];
    let r = Method::Jacobi
        .solve(
            &a,
            &b,
            &mut x,
            &Budget::new(2000, 1e-5).unwrap(),
            &SolveOptions::default(),
            &mut Workspace::new(),
        )
        .unwrap();
    assert!(r.converged());
    assert!(
        (400..=700).contains(&r.iterations),
        "Jacobi needed {} iterations",
        r.iterations
    );
}
