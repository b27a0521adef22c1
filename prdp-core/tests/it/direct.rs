use prdp_core::{
    Boundary, CsrMatrix, DenseMatrix, Error, FactorKind, Factorization, LinearOperator, Stencil,
};
use prdp_testing::{rng, uniform};
use proptest::prelude::*;

fn residual_norm<A: LinearOperator<f64>>(a: &A, x: &[f64], b: &[f64], transpose: bool) -> f64 {
    let mut y = vec![0.0; b.len()];
    if transpose {
        a.apply_transpose(x, &mut y);
    } else {
        a.apply(x, &mut y);
    }
    y.iter()
        .zip(b)
        .map(|(p, q)| (p - q).powi(2))
        .sum::<f64>()
        .sqrt()
}

/// A random strictly diagonally dominant nonsymmetric sparse matrix.
fn dominant(seed: u64, n: usize) -> CsrMatrix<f64> {
    let mut r = rng(seed);
    let mut t = Vec::new();
    for i in 0..n {
        let offs = uniform(&mut r, 4);
        let mut sum = 0.0;
        for (k, v) in offs.iter().enumerate() {
            let j = (i * 7 + k * 13 + 1) % n;
            if j != i {
                t.push((i, j, *v));
                sum += v.abs();
            }
        }
        t.push((i, i, sum + 1.0));
    }
    CsrMatrix::from_triplets(n, n, &t).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn all_factorisations_solve_and_transpose_solve(n in 1usize..60, seed in 0u64..500) {
        let a = dominant(seed, n);
        let b = uniform(&mut rng(seed + 7), n);
        for f in [Factorization::dense_lu(&a).unwrap(), Factorization::sparse_lu(&a).unwrap()] {
            let mut x = vec![0.0; n];
            f.solve(&b, &mut x).unwrap();
            prop_assert!(residual_norm(&a, &x, &b, false) < 1e-12 * (1.0 + n as f64));
            f.solve_transpose(&b, &mut x).unwrap();
            prop_assert!(residual_norm(&a, &x, &b, true) < 1e-12 * (1.0 + n as f64));
        }
    }
}

#[test]
fn factorisation_is_reused_across_many_right_hand_sides_and_f32() {
    let h = 1.0 / 31.0;
    let a = Stencil::<f32>::laplacian(&[30, 30], &[h, h], Boundary::Dirichlet)
        .unwrap()
        .affine(1.0, -0.001);
    let f = Factorization::sparse_cholesky(&a).unwrap();
    assert_eq!(f.kind(), FactorKind::SparseCholesky);
    let k = 5;
    let b: Vec<f32> = uniform(&mut rng(3), 900 * k)
        .iter()
        .map(|v| *v as f32)
        .collect();
    let mut x = vec![0.0f32; 900 * k];
    f.solve_many(&b, &mut x, k, false).unwrap();
    for s in 0..k {
        let mut r = vec![0.0f32; 900];
        let r2 = a.residual(
            &x[s * 900..(s + 1) * 900],
            &b[s * 900..(s + 1) * 900],
            &mut r,
        );
        let bn: f32 = b[s * 900..(s + 1) * 900].iter().map(|v| v * v).sum();
        assert!(
            (r2 / bn).sqrt() < 1e-6,
            "sample {s}: relative residual {}",
            (r2 / bn).sqrt()
        );
    }
}

#[test]
fn singular_matrices_are_errors() {
    // Periodic Laplacian: constants are in the kernel.
    let lap = Stencil::<f64>::laplacian(&[8], &[1.0], Boundary::Periodic).unwrap();
    let e = Factorization::dense_lu(&lap).unwrap_err();
    assert!(matches!(e, Error::Singular { .. }), "{e}");
    let e = Factorization::sparse_lu(&lap).unwrap_err();
    assert!(matches!(e, Error::Singular { .. }), "{e}");
    // An empty row is structurally singular.
    let a = CsrMatrix::from_triplets(3, 3, &[(0, 0, 1.0), (1, 1, 1.0), (0, 2, 1.0)]).unwrap();
    let e = Factorization::sparse_lu(&a).unwrap_err();
    assert!(matches!(e, Error::Singular { .. }), "{e}");
    // Indefinite matrices are rejected by Cholesky.
    let a = DenseMatrix::from_row_major(2, 2, &[1.0, 0.0, 0.0, -1.0]).unwrap();
    let e = Factorization::sparse_cholesky(&a).unwrap_err();
    assert!(e.to_string().contains("positive definite"), "{e}");
}

#[test]
fn bad_inputs_are_errors() {
    let a = dominant(1, 4);
    let f = Factorization::sparse_lu(&a).unwrap();
    let e = f.solve(&[1.0; 3], &mut [0.0; 4]).unwrap_err();
    assert_eq!(
        e,
        Error::Length {
            what: "direct solve right-hand sides (n * count)".into(),
            expected: 4,
            got: 3
        }
    );
    let e = f
        .solve(&[1.0, f64::NAN, 0.0, 0.0], &mut [0.0; 4])
        .unwrap_err();
    assert!(matches!(e, Error::NonFinite { index: 1, .. }), "{e}");
    let rect = CsrMatrix::from_triplets(2, 3, &[(0, 0, 1.0)]).unwrap();
    let e = Factorization::sparse_lu(&rect).unwrap_err();
    assert!(e.to_string().contains("2x3"), "{e}");
}
