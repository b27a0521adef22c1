//! The fixed-K result of every solver equals the K-th iterate of a plain reference loop
//! written straight from the textbook (dense matrices, no workspaces, no fusing).

use crate::common::{dominant, nonsymmetric, spd};
use prdp_core::{CsrMatrix, LinearOperator, to_faer_dense};
use prdp_solvers::{Budget, Method, PreconditionerKind, SolveOptions, Workspace};
use prdp_testing::{rel_err, vector};
use proptest::prelude::*;

type Dense = Vec<Vec<f64>>;

fn dense(a: &CsrMatrix<f64>) -> Dense {
    let m = to_faer_dense(a);
    (0..a.nrows())
        .map(|i| (0..a.ncols()).map(|j| m[(i, j)]).collect())
        .collect()
}

fn matvec(a: &Dense, x: &[f64]) -> Vec<f64> {
    a.iter()
        .map(|row| row.iter().zip(x).map(|(p, q)| p * q).sum())
        .collect()
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(p, q)| p * q).sum()
}

/// Algorithm 1 of the paper: u ← D⁻¹(b − (L + U) u).
fn jacobi_ref(a: &Dense, b: &[f64], k: usize) -> Vec<f64> {
    let n = b.len();
    let mut u = vec![0.0; n];
    for _ in 0..k {
        u = (0..n)
            .map(|i| {
                (b[i]
                    - (0..n)
                        .filter(|&j| j != i)
                        .map(|j| a[i][j] * u[j])
                        .sum::<f64>())
                    / a[i][i]
            })
            .collect();
    }
    u
}

/// Algorithm 2 of the paper.
fn sd_ref(a: &Dense, b: &[f64], k: usize) -> Vec<f64> {
    let mut u = vec![0.0; b.len()];
    let mut r = b.to_vec();
    for _ in 0..k {
        if dot(&r, &r) == 0.0 {
            break;
        }
        let ar = matvec(a, &r);
        let alpha = dot(&r, &r) / dot(&r, &ar);
        for i in 0..u.len() {
            u[i] += alpha * r[i];
            r[i] -= alpha * ar[i];
        }
    }
    u
}

/// Preconditioned CG with M⁻¹ = diag(minv).
fn cg_ref(a: &Dense, b: &[f64], minv: &[f64], k: usize) -> Vec<f64> {
    let n = b.len();
    let mut u = vec![0.0; n];
    let mut r = b.to_vec();
    let mut z: Vec<f64> = (0..n).map(|i| minv[i] * r[i]).collect();
    let mut p = z.clone();
    for _ in 0..k {
        let rz = dot(&r, &z);
        if rz == 0.0 {
            break;
        }
        let ap = matvec(a, &p);
        let alpha = rz / dot(&p, &ap);
        for i in 0..n {
            u[i] += alpha * p[i];
            r[i] -= alpha * ap[i];
        }
        z = (0..n).map(|i| minv[i] * r[i]).collect();
        let beta = dot(&r, &z) / rz;
        for i in 0..n {
            p[i] = z[i] + beta * p[i];
        }
    }
    u
}

/// GMRES(m): each cycle minimises ‖b − A x‖ over x₀ + K_m(A, r₀), here by solving the normal
/// equations of the explicit Krylov basis (orthonormalised by classical Gram–Schmidt twice).
fn gmres_ref(a: &Dense, b: &[f64], m: usize, cycles: usize) -> Vec<f64> {
    let n = b.len();
    let mut x = vec![0.0; n];
    for _ in 0..cycles {
        let ax = matvec(a, &x);
        let r: Vec<f64> = (0..n).map(|i| b[i] - ax[i]).collect();
        let mut basis: Vec<Vec<f64>> = Vec::new();
        let mut v = r.clone();
        for _ in 0..m.min(n) {
            for _ in 0..2 {
                for q in &basis {
                    let c = dot(&v, q);
                    for i in 0..n {
                        v[i] -= c * q[i];
                    }
                }
            }
            let nv = dot(&v, &v).sqrt();
            if nv < 1e-13 {
                break;
            }
            basis.push(v.iter().map(|x| x / nv).collect());
            v = matvec(a, basis.last().unwrap());
        }
        let k = basis.len();
        let aq: Vec<Vec<f64>> = basis.iter().map(|q| matvec(a, q)).collect();
        // Normal equations (AQ)ᵀ(AQ) y = (AQ)ᵀ r by Gaussian elimination.
        let mut g: Vec<Vec<f64>> = (0..k)
            .map(|i| (0..k).map(|j| dot(&aq[i], &aq[j])).collect())
            .collect();
        let mut rhs: Vec<f64> = (0..k).map(|i| dot(&aq[i], &r)).collect();
        for c in 0..k {
            for rrow in c + 1..k {
                let f = g[rrow][c] / g[c][c];
                for cc in c..k {
                    g[rrow][cc] -= f * g[c][cc];
                }
                rhs[rrow] -= f * rhs[c];
            }
        }
        let mut y = vec![0.0; k];
        for i in (0..k).rev() {
            y[i] = (rhs[i] - (i + 1..k).map(|j| g[i][j] * y[j]).sum::<f64>()) / g[i][i];
        }
        for (q, yi) in basis.iter().zip(&y) {
            for i in 0..n {
                x[i] += yi * q[i];
            }
        }
    }
    x
}

/// van der Vorst's Bi-CGSTAB (1992) with shadow residual r̂ = r₀, K full iterations.
fn bicgstab_ref(a: &Dense, b: &[f64], k: usize) -> Vec<f64> {
    let n = b.len();
    let mut x = vec![0.0; n];
    let mut r = b.to_vec();
    let r_hat = r.clone();
    let (mut p, mut v) = (vec![0.0; n], vec![0.0; n]);
    let (mut rho_old, mut alpha, mut omega) = (1.0, 1.0, 1.0);
    for _ in 0..k {
        let rho = dot(&r_hat, &r);
        let beta = (rho / rho_old) * (alpha / omega);
        for i in 0..n {
            p[i] = r[i] + beta * (p[i] - omega * v[i]);
        }
        v = matvec(a, &p);
        alpha = rho / dot(&r_hat, &v);
        let s: Vec<f64> = (0..n).map(|i| r[i] - alpha * v[i]).collect();
        let t = matvec(a, &s);
        omega = dot(&t, &s) / dot(&t, &t);
        for i in 0..n {
            x[i] += alpha * p[i] + omega * s[i];
            r[i] = s[i] - omega * t[i];
        }
        rho_old = rho;
    }
    x
}

fn solve_fixed(method: Method, a: &CsrMatrix<f64>, b: &[f64], k: usize) -> Vec<f64> {
    let mut x = vec![0.0; b.len()];
    let r = method
        .solve(
            a,
            b,
            &mut x,
            &Budget::fixed(k),
            &SolveOptions::default(),
            &mut Workspace::new(),
        )
        .unwrap();
    // Only an exactly converged solve (a triangular matrix under Jacobi, say) stops early.
    assert!(
        r.iterations == k || r.rel_residual == 0.0,
        "{} stopped early: {r:?}",
        method.name()
    );
    x
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn jacobi_sd_cg_match_reference_loops(n in 2usize..40, k in 1usize..12, seed in 0u64..10_000) {
        let a = spd(seed, n);
        let d = dense(&a);
        let b = vector(seed + 5, n);
        prop_assert!(rel_err(&solve_fixed(Method::Jacobi, &a, &b, k), &jacobi_ref(&d, &b, k)) < 1e-12);
        prop_assert!(rel_err(&solve_fixed(Method::SteepestDescent, &a, &b, k), &sd_ref(&d, &b, k)) < 1e-10);
        let k_cg = k.min(n / 2).max(1);
        let ones = vec![1.0; n];
        let minv: Vec<f64> = (0..n).map(|i| 1.0 / d[i][i]).collect();
        let cg = Method::Cg { preconditioner: PreconditionerKind::None };
        let pcg = Method::Cg { preconditioner: PreconditionerKind::Jacobi };
        prop_assert!(rel_err(&solve_fixed(cg, &a, &b, k_cg), &cg_ref(&d, &b, &ones, k_cg)) < 1e-9);
        prop_assert!(rel_err(&solve_fixed(pcg, &a, &b, k_cg), &cg_ref(&d, &b, &minv, k_cg)) < 1e-9);
    }

    #[test]
    fn jacobi_on_nonsymmetric_matches_reference(n in 2usize..40, k in 1usize..20, seed in 0u64..10_000) {
        let a = dominant(seed, n);
        prop_assert!(rel_err(&solve_fixed(Method::Jacobi, &a, &vector(seed, n), k), &jacobi_ref(&dense(&a), &vector(seed, n), k)) < 1e-12);
    }

    #[test]
    fn gmres_cycles_match_reference(n in 10usize..40, m in 1usize..5, cycles in 1usize..4, seed in 0u64..10_000) {
        let a = nonsymmetric(seed, n);
        let b = vector(seed + 9, n);
        let x = solve_fixed(Method::Gmres { restart: m }, &a, &b, cycles);
        prop_assert!(rel_err(&x, &gmres_ref(&dense(&a), &b, m, cycles)) < 1e-8);
    }

    #[test]
    fn bicgstab_matches_reference(n in 5usize..40, k in 1usize..6, seed in 0u64..10_000) {
        let a = dominant(seed, n);
        let b = vector(seed + 3, n);
        let x = solve_fixed(Method::BiCgStab, &a, &b, k);
        prop_assert!(rel_err(&x, &bicgstab_ref(&dense(&a), &b, k)) < 1e-9);
    }
}
