//! Test systems shared by the solver tests (the generic helpers are in prdp-testing).

use prdp_core::{Boundary, CsrMatrix, Factorization, LinearOperator, Stencil};
use prdp_testing::rng;
use rand::RngExt;

/// Off-diagonal triplets of a random sparse pattern (about `per_row` entries per row).
fn off_diagonal(seed: u64, n: usize, per_row: usize, symmetric: bool) -> Vec<(usize, usize, f64)> {
    let mut r = rng(seed);
    let mut t = Vec::new();
    for i in 0..n {
        for _ in 0..per_row {
            let j = r.random_range(0..n);
            if j != i {
                let v = r.random_range(-1.0..1.0);
                t.push((i, j, v));
                if symmetric {
                    t.push((j, i, v));
                }
            }
        }
    }
    t
}

fn with_dominant_diagonal(
    n: usize,
    mut t: Vec<(usize, usize, f64)>,
    margin: f64,
) -> CsrMatrix<f64> {
    let mut row_sums = vec![0.0; n];
    let mut col_sums = vec![0.0; n];
    for &(i, j, v) in &t {
        row_sums[i] += f64::abs(v);
        col_sums[j] += f64::abs(v);
    }
    for i in 0..n {
        t.push((i, i, row_sums[i].max(col_sums[i]) + margin));
    }
    CsrMatrix::from_triplets(n, n, &t).unwrap()
}

/// A strictly diagonally dominant (by rows and columns) nonsymmetric matrix.
pub fn dominant(seed: u64, n: usize) -> CsrMatrix<f64> {
    with_dominant_diagonal(n, off_diagonal(seed, n, 3, false), 0.5)
}

/// A symmetric positive definite (diagonally dominant) matrix.
pub fn spd(seed: u64, n: usize) -> CsrMatrix<f64> {
    with_dominant_diagonal(n, off_diagonal(seed, n, 2, true), 0.1)
}

/// A nonsymmetric matrix that is not diagonally dominant but well conditioned: I·3 plus a
/// random sparse perturbation of norm about 2.
pub fn nonsymmetric(seed: u64, n: usize) -> CsrMatrix<f64> {
    let mut t = off_diagonal(seed, n, 3, false);
    for e in &mut t {
        e.2 *= 0.7;
    }
    for i in 0..n {
        t.push((i, i, 3.0));
    }
    CsrMatrix::from_triplets(n, n, &t).unwrap()
}

/// The 1D and 2D Dirichlet Poisson matrices (negative definite) of the paper.
pub fn poisson_1d(n: usize) -> Stencil<f64> {
    Stencil::laplacian(&[n], &[1.0 / (n as f64 + 1.0)], Boundary::Dirichlet).unwrap()
}

pub fn poisson_2d(n: usize) -> Stencil<f64> {
    let h = 1.0 / (n as f64 + 1.0);
    Stencil::laplacian(&[n, n], &[h, h], Boundary::Dirichlet).unwrap()
}

/// faer's direct solution.
pub fn direct<A: LinearOperator<f64>>(a: &A, b: &[f64]) -> Vec<f64> {
    let f = Factorization::sparse_lu(a).unwrap();
    let mut x = vec![0.0; b.len()];
    f.solve(b, &mut x).unwrap();
    x
}
