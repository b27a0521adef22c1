//! Nyström preconditioner and preconditioned CG.

use faer::Mat;
use neural_ivp::{BlockOperator, Forward, GaussNewton, NystromPreconditioner};
use prdp_core::{DenseMatrix, LinearOperator};
use prdp_solvers::{Budget, IdentityPreconditioner, Preconditioner, SolveOptions, Workspace, cg};

use crate::{net_16x2, points};
use prdp_testing::vector;

/// A = Q diag(λ) Qᵀ with orthonormal Q (p × k).
fn low_rank(p: usize, lambdas: &[f64]) -> (DenseMatrix<f64>, Mat<f64>) {
    let k = lambdas.len();
    let g = Mat::<f64>::from_fn(p, k, |i, j| {
        ((i * 7 + j * 13) as f64 * 0.37).sin() + 0.1 * (i as f64 - j as f64).cos()
    });
    let q = g.qr().compute_thin_Q();
    let mut a = vec![0.0; p * p];
    for i in 0..p {
        for j in 0..p {
            a[i * p + j] = (0..k).map(|s| q[(i, s)] * lambdas[s] * q[(j, s)]).sum();
        }
    }
    (DenseMatrix::from_row_major(p, p, &a).unwrap(), q)
}

/// A rank-6 SPD matrix is reconstructed by a rank-10 sketch, with its eigenvalues.
#[test]
fn nystrom_reconstructs_low_rank_matrix() {
    let lambdas = [50.0, 10.0, 3.0, 1.0, 0.2, 0.01];
    let (a, _) = low_rank(40, &lambdas);
    let pre = NystromPreconditioner::build(&a, 10, 3, 1e-14, 0.0).unwrap();
    for (k, &l) in lambdas.iter().enumerate() {
        assert!(
            (pre.eigenvalues()[k] - l).abs() < 1e-9 * 50.0,
            "{k}: {}",
            pre.eigenvalues()[k]
        );
    }
    assert!(pre.eigenvalues()[6..].iter().all(|&l| l.abs() < 1e-9));
    let x = vector(1, 40);
    let (mut y, mut z) = (vec![0.0; 40], vec![0.0; 40]);
    a.apply(&x, &mut y);
    pre.approx_apply(&x, &mut z);
    let err: f64 = y
        .iter()
        .zip(&z)
        .map(|(a, b)| (a - b) * (a - b))
        .sum::<f64>()
        .sqrt();
    assert!(err < 1e-10 * prdp_core::kernels::nrm2(&y), "{err}");
}

/// The inverse formula P⁻¹ = (λ_ℓ + μ)U(Λ + μI)⁻¹Uᵀ + (I − UUᵀ): on an eigenvector qᵢ it scales
/// by (λ_ℓ + μ)/(λᵢ + μ), on the complement of the range it is the identity; with ℓ = p it is
/// (λ_p + μ)(A + μI)⁻¹ exactly.
#[test]
fn nystrom_inverse_formula_matches_explicit_matrix() {
    let lambdas = [8.0, 4.0, 2.0, 1.0];
    let (a, q) = low_rank(12, &lambdas);
    let mu = 0.05;
    let pre = NystromPreconditioner::build(&a, 4, 5, 1e-14, mu).unwrap();
    let last = pre.eigenvalues()[3];
    let mut z = vec![0.0; 12];
    for s in 0..4 {
        let qs: Vec<f64> = (0..12).map(|i| q[(i, s)]).collect();
        pre.apply(&qs, &mut z);
        let f = (last + mu) / (lambdas[s] + mu);
        for i in 0..12 {
            assert!((z[i] - f * qs[i]).abs() < 1e-9, "eigvec {s}");
        }
    }
    // a vector orthogonal to range(A)
    let mut x = vector(2, 12);
    for s in 0..4 {
        let c: f64 = (0..12).map(|i| q[(i, s)] * x[i]).sum();
        (0..12).for_each(|i| x[i] -= c * q[(i, s)]);
    }
    pre.apply(&x, &mut z);
    for i in 0..12 {
        assert!((z[i] - x[i]).abs() < 1e-9);
    }
    // full rank: P⁻¹(A + μI) = (λ_p + μ)I
    let (b, _) = low_rank(6, &[5.0, 3.0, 2.0, 1.0, 0.5, 0.25]);
    let pre = NystromPreconditioner::build(&b, 6, 9, 1e-14, mu).unwrap();
    let lp = pre.eigenvalues()[5];
    let x = vector(3, 6);
    let mut ax = vec![0.0; 6];
    b.apply(&x, &mut ax);
    ax.iter_mut().zip(&x).for_each(|(a, xi)| *a += mu * xi);
    let mut z = vec![0.0; 6];
    pre.apply(&ax, &mut z);
    for i in 0..6 {
        assert!(
            (z[i] - (lp + mu) * x[i]).abs() < 1e-9,
            "{} vs {}",
            z[i],
            (lp + mu) * x[i]
        );
    }
}

/// On the ill-conditioned Gauss–Newton matrix of a network, Nyström-preconditioned CG needs
/// far fewer iterations than plain CG for the same tolerance.
#[test]
fn preconditioned_cg_beats_plain_cg_on_gauss_newton() {
    let net = net_16x2(2);
    let theta = net.init(1);
    let xs = points(600, 2, 2);
    let mut fwd = Forward::new();
    net.forward(&theta, &xs, &mut fwd).unwrap();
    let mut op = GaussNewton::new(&net, &theta, &fwd).unwrap();
    let p = op.dim();
    let pre = NystromPreconditioner::build(&op, 60, 4, 1e-8, 0.0).unwrap();
    let mu = 1e-6 * pre.lambda_max();
    let mut pre = pre;
    pre.set_mu(mu);
    op.set_mu(mu);
    let b = vector(6, p);
    let budget = Budget::new(5000, 1e-8).unwrap();
    let mut ws = Workspace::new();
    let mut x = vec![0.0; p];
    let plain = cg(
        &op,
        &IdentityPreconditioner,
        &b,
        &mut x,
        &budget,
        &SolveOptions::default(),
        &mut ws,
    )
    .unwrap();
    let mut y = vec![0.0; p];
    let pcg = cg(
        &op,
        &pre,
        &b,
        &mut y,
        &budget,
        &SolveOptions::default(),
        &mut ws,
    )
    .unwrap();
    assert!(pcg.converged(), "{pcg:?}");
    assert!(
        (pcg.iterations as f64) < 0.25 * plain.iterations as f64,
        "PCG {} vs CG {} iterations",
        pcg.iterations,
        plain.iterations
    );
}

/// EDNN's truncated least squares (through the smaller Gram matrix) equals the truncated
/// pseudo-inverse from faer's SVD of J, for tall and wide J with singular values on both sides
/// of the cutoff, and keeps exactly the singular values above it.
#[test]
fn truncated_lstsq_matches_svd() {
    let rcond = 1e-3;
    for (rows, cols) in [(30, 12), (12, 30)] {
        let k = rows.min(cols);
        // J = Q₁ diag(σ) Q₂ᵀ with σ from 1 down to 1e-6 (four below the cutoff 1e-3)
        let sigma: Vec<f64> = (0..k)
            .map(|i| 10f64.powf(-6.0 * i as f64 / (k - 1) as f64))
            .collect();
        let q1 = Mat::<f64>::from_fn(rows, k, |i, j| ((i * 5 + j * 11) as f64 * 0.71).sin())
            .qr()
            .compute_thin_Q();
        let q2 = Mat::<f64>::from_fn(cols, k, |i, j| ((i * 3 + j * 17) as f64 * 0.43).cos())
            .qr()
            .compute_thin_Q();
        let jm = Mat::<f64>::from_fn(rows, cols, |i, j| {
            (0..k).map(|s| q1[(i, s)] * sigma[s] * q2[(j, s)]).sum()
        });
        let jac: Vec<f64> = (0..rows * cols).map(|a| jm[(a / cols, a % cols)]).collect();
        let f = vector(17, rows);
        let mut got = vec![0.0; cols];
        let kept =
            neural_ivp::ednn::truncated_lstsq(&jac, rows, cols, &f, rcond, &mut got).unwrap();
        let svd = jm.thin_svd().unwrap();
        let (u, s, v) = (svd.U(), svd.S().column_vector(), svd.V());
        let smax = (0..k).map(|i| s[i]).fold(0.0, f64::max);
        let mut want = vec![0.0; cols];
        let mut above = 0;
        for c in (0..k).filter(|&c| s[c] > rcond * smax) {
            above += 1;
            let coef: f64 = (0..rows).map(|i| u[(i, c)] * f[i]).sum::<f64>() / s[c];
            for (j, w) in want.iter_mut().enumerate() {
                *w += coef * v[(j, c)];
            }
        }
        assert_eq!(kept, above, "{rows}x{cols}");
        assert_eq!(above, (0..k).filter(|&i| sigma[i] > rcond).count());
        let norm = want.iter().map(|x| x * x).sum::<f64>().sqrt();
        let err = want
            .iter()
            .zip(&got)
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f64>()
            .sqrt();
        assert!(err < 1e-9 * norm, "{rows}x{cols}: {err} vs {norm}");
    }
}
