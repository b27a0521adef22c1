use crate::common::sparse;
use prdp_core::{
    Boundary, CsrMatrix, DenseMatrix, Error, FnOperator, LinearOperator, Stencil, Transposed,
    to_csr, to_faer_dense,
};
use prdp_testing::{dot, rng, uniform};
use proptest::prelude::*;

/// ⟨A x, y⟩ = ⟨x, Aᵀ y⟩ and the fused residual agrees with apply.
fn check_adjoint<A: LinearOperator<f64>>(a: &A, seed: u64) {
    let mut r = rng(seed);
    let x = uniform(&mut r, a.ncols());
    let y = uniform(&mut r, a.nrows());
    let mut ax = vec![0.0; a.nrows()];
    let mut aty = vec![0.0; a.ncols()];
    a.apply(&x, &mut ax);
    a.apply_transpose(&y, &mut aty);
    let (l, rr) = (dot(&ax, &y), dot(&x, &aty));
    assert!(
        (l - rr).abs() <= 1e-12 * (1.0 + l.abs()),
        "{}: <Ax,y> = {l}, <x,A^T y> = {rr}",
        a.describe()
    );
    if a.nrows() == a.ncols() {
        let b = uniform(&mut r, a.nrows());
        let mut res = vec![0.0; a.nrows()];
        let r2 = a.residual(&x, &b, &mut res);
        for i in 0..a.nrows() {
            assert!((res[i] - (b[i] - ax[i])).abs() < 1e-12);
        }
        assert!((r2 - dot(&res, &res)).abs() < 1e-10 * (1.0 + r2));
    }
}

/// The materialised matrix reproduces the operator.
fn check_materialised<A: LinearOperator<f64>>(a: &A, seed: u64) {
    let mut r = rng(seed);
    let x = uniform(&mut r, a.ncols());
    let csr = to_csr(a).unwrap();
    let mut y1 = vec![0.0; a.nrows()];
    let mut y2 = vec![0.0; a.nrows()];
    a.apply(&x, &mut y1);
    csr.apply(&x, &mut y2);
    for i in 0..a.nrows() {
        assert!((y1[i] - y2[i]).abs() < 1e-12, "{}: row {i}", a.describe());
    }
    let dense = to_faer_dense(a);
    for i in 0..a.nrows() {
        let yi: f64 = (0..a.ncols()).map(|j| dense[(i, j)] * x[j]).sum();
        assert!((yi - y1[i]).abs() < 1e-12);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn csr_adjoint_and_materialisation(m in 1usize..40, n in 1usize..40, seed in 0u64..1000) {
        let a = sparse(&mut rng(seed), m, n, 0.2);
        check_adjoint(&a, seed + 1);
        check_materialised(&a, seed + 2);
        check_adjoint(&Transposed(&a), seed + 3);
    }

    #[test]
    fn dense_adjoint_and_diagonal(m in 1usize..30, n in 1usize..30, seed in 0u64..1000) {
        let mut r = rng(seed);
        let v = uniform(&mut r, m * n);
        let a = DenseMatrix::from_row_major(m, n, &v).unwrap();
        check_adjoint(&a, seed + 1);
        check_materialised(&a, seed + 2);
        let mut d = vec![0.0; m.min(n)];
        a.diagonal(&mut d).unwrap();
        for i in 0..m.min(n) { prop_assert_eq!(d[i], v[i * n + i]); }
    }
}

#[test]
fn csr_sums_duplicates_and_rejects_bad_triplets() {
    let a = CsrMatrix::from_triplets(2, 2, &[(1, 0, 1.0), (0, 1, 2.0), (1, 0, 3.0), (0, 1, -2.0)])
        .unwrap();
    assert_eq!(a.get(1, 0), 4.0);
    assert_eq!(a.get(0, 1), 0.0);
    assert_eq!(a.nnz(), 2);
    let e = CsrMatrix::from_triplets(2, 2, &[(2, 0, 1.0)]).unwrap_err();
    assert!(e.to_string().contains("(2, 0)"), "{e}");
    let e = CsrMatrix::from_triplets(2, 2, &[(0, 0, f64::NAN)]).unwrap_err();
    assert!(matches!(e, Error::NonFinite { .. }));
}

#[test]
fn fn_operator_adjoint_and_diagonal() {
    // A = tridiag(-1, 3, -2) on 5 unknowns, non-symmetric.
    let n = 5;
    let a = FnOperator::new(
        n,
        n,
        move |x: &[f64], y: &mut [f64]| {
            for i in 0..n {
                y[i] = 3.0 * x[i]
                    - if i > 0 { x[i - 1] } else { 0.0 }
                    - 2.0 * if i + 1 < n { x[i + 1] } else { 0.0 };
            }
        },
        move |x: &[f64], y: &mut [f64]| {
            for i in 0..n {
                y[i] = 3.0 * x[i]
                    - 2.0 * if i > 0 { x[i - 1] } else { 0.0 }
                    - if i + 1 < n { x[i + 1] } else { 0.0 };
            }
        },
    )
    .with_diagonal(vec![3.0; n])
    .unwrap();
    check_adjoint(&a, 5);
    check_materialised(&a, 6);
    let csr = to_csr(&a).unwrap();
    assert_eq!(csr.get(2, 1), -1.0);
    assert_eq!(csr.get(2, 3), -2.0);
    assert!(matches!(
        FnOperator::new(
            2,
            2,
            |_: &[f64], _: &mut [f64]| {},
            |_: &[f64], _: &mut [f64]| {}
        )
        .with_diagonal(vec![1.0]),
        Err(Error::Length {
            expected: 2,
            got: 1,
            ..
        })
    ));
    let no_diag = FnOperator::new(
        2,
        2,
        |_: &[f64], _: &mut [f64]| {},
        |_: &[f64], _: &mut [f64]| {},
    );
    assert!(matches!(
        no_diag.diagonal(&mut [0.0; 2]),
        Err(Error::NoDiagonal { .. })
    ));
}

#[test]
fn stencil_adjoint_for_all_dims_and_boundaries() {
    for boundary in [Boundary::Periodic, Boundary::Dirichlet] {
        for dims in [vec![7], vec![5, 6], vec![3, 4, 5], vec![1], vec![2, 2]] {
            // An asymmetric stencil with long-range taps so that transposition matters.
            let d = dims.len();
            let mut offs: Vec<Vec<isize>> = Vec::new();
            let mut ws = Vec::new();
            for a in 0..d {
                for (s, w) in [(-1isize, 0.7), (2, -0.3), (1, 1.1)] {
                    let mut o = vec![0isize; d];
                    o[a] = s;
                    offs.push(o);
                    ws.push(w * (a + 1) as f64);
                }
            }
            let mut diag_o = vec![1isize; d];
            diag_o[0] = -1;
            offs.push(diag_o);
            ws.push(0.25);
            let taps: Vec<(&[isize], f64)> = offs.iter().map(Vec::as_slice).zip(ws).collect();
            let s = Stencil::new(&dims, boundary, 2.5, &taps).unwrap();
            check_adjoint(&s, 11);
            check_materialised(&s, 12);
            let csr = to_csr(&s).unwrap();
            let mut d1 = vec![0.0; s.len()];
            let mut d2 = vec![0.0; s.len()];
            s.diagonal(&mut d1).unwrap();
            csr.diagonal(&mut d2).unwrap();
            for i in 0..s.len() {
                assert!(
                    (d1[i] - d2[i]).abs() < 1e-14,
                    "{boundary:?} {dims:?}: diagonal {i}: {} vs {}",
                    d1[i],
                    d2[i]
                );
            }
        }
    }
}
