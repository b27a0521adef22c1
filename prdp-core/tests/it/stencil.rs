use prdp_core::{Boundary, Error, LinearOperator, Stencil, Transposed};
use prdp_testing::{rng, uniform};
use proptest::prelude::*;
use std::f64::consts::PI;

/// The periodic Laplacian has Fourier symbol Σₐ (2cos(2πkₐ/nₐ) − 2)/hₐ².
#[test]
fn periodic_laplacian_matches_fourier_symbol() {
    for dims in [vec![16usize], vec![8, 12], vec![4, 6, 10]] {
        let h: Vec<f64> = dims.iter().map(|n| 1.0 / *n as f64).collect();
        let lap = Stencil::<f64>::laplacian(&dims, &h, Boundary::Periodic).unwrap();
        let n: usize = dims.iter().product();
        let ks: Vec<usize> = dims.iter().map(|d| d / 2 - 1).collect();
        // u(p) = cos(2π Σ kₐ pₐ / nₐ) is an eigenvector with the symbol as eigenvalue.
        let mut u = vec![0.0; n];
        let mut p = vec![0usize; dims.len()];
        for (idx, ui) in u.iter_mut().enumerate() {
            let mut rem = idx;
            for a in (0..dims.len()).rev() {
                p[a] = rem % dims[a];
                rem /= dims[a];
            }
            let phase: f64 = (0..dims.len())
                .map(|a| 2.0 * PI * (ks[a] * p[a]) as f64 / dims[a] as f64)
                .sum();
            *ui = phase.cos();
        }
        let lambda: f64 = (0..dims.len())
            .map(|a| (2.0 * (2.0 * PI * ks[a] as f64 / dims[a] as f64).cos() - 2.0) / (h[a] * h[a]))
            .sum();
        let mut y = vec![0.0; n];
        lap.apply(&u, &mut y);
        for i in 0..n {
            assert!(
                (y[i] - lambda * u[i]).abs() < 1e-9 * lambda.abs(),
                "{dims:?}: {} vs {}",
                y[i],
                lambda * u[i]
            );
        }
    }
}

/// The Dirichlet Laplacian has eigenvectors sin(π k x) with eigenvalues (2cos(πk h) − 2)/h².
#[test]
fn dirichlet_laplacian_matches_sine_eigenpairs() {
    let n = 30;
    let h = 1.0 / (n as f64 + 1.0);
    let lap = Stencil::<f64>::laplacian(&[n, n], &[h, h], Boundary::Dirichlet).unwrap();
    let (k1, k2) = (3.0, 5.0);
    let u: Vec<f64> = (0..n * n)
        .map(|idx| {
            let (i, j) = (idx / n, idx % n);
            (PI * k1 * (i + 1) as f64 * h).sin() * (PI * k2 * (j + 1) as f64 * h).sin()
        })
        .collect();
    let lambda = (2.0 * (PI * k1 * h).cos() - 2.0 + 2.0 * (PI * k2 * h).cos() - 2.0) / (h * h);
    let mut y = vec![0.0; n * n];
    lap.apply(&u, &mut y);
    for i in 0..n * n {
        assert!((y[i] - lambda * u[i]).abs() < 1e-9 * lambda.abs());
    }
}

#[test]
fn periodic_wraps_and_dirichlet_truncates() {
    let p = Stencil::<f64>::new(&[4], Boundary::Periodic, 0.0, &[(&[1], 1.0)]).unwrap();
    let d = Stencil::<f64>::new(&[4], Boundary::Dirichlet, 0.0, &[(&[1], 1.0)]).unwrap();
    let x = [1.0, 2.0, 3.0, 4.0];
    let mut y = [0.0; 4];
    p.apply(&x, &mut y);
    assert_eq!(y, [2.0, 3.0, 4.0, 1.0]);
    d.apply(&x, &mut y);
    assert_eq!(y, [2.0, 3.0, 4.0, 0.0]);
    d.apply_transpose(&x, &mut y);
    assert_eq!(y, [0.0, 1.0, 2.0, 3.0]);
}

#[test]
fn affine_builds_btcs_operator_with_reference_diagonal() {
    // Heat 2D of the reference code: diagonal 1 + 4r, off-diagonals −r, r = 0.001·31².
    let h = 1.0 / 31.0;
    let a = Stencil::<f64>::laplacian(&[30, 30], &[h, h], Boundary::Dirichlet)
        .unwrap()
        .affine(1.0, -0.001);
    let r = 0.001 * 31.0 * 31.0;
    assert!((a.diagonal_value() - (1.0 + 4.0 * r)).abs() < 1e-12);
    let csr = prdp_core::to_csr(&a).unwrap();
    assert!((csr.get(31, 30) + r).abs() < 1e-12);
    assert!((csr.get(31, 1) + r).abs() < 1e-12);
    assert_eq!(csr.get(30, 29), 0.0, "no wrap across rows under Dirichlet");
}

#[test]
fn stencil_rejects_bad_construction() {
    let e = Stencil::<f64>::new(&[], Boundary::Periodic, 1.0, &[]).unwrap_err();
    assert!(matches!(e, Error::InvalidArgument { .. }), "{e}");
    let e = Stencil::<f64>::new(&[3, 0], Boundary::Periodic, 1.0, &[]).unwrap_err();
    assert!(e.to_string().contains("[3, 0]"), "{e}");
    let e = Stencil::<f64>::new(&[3, 3], Boundary::Periodic, 1.0, &[(&[1], 1.0)]).unwrap_err();
    assert!(e.to_string().contains("2 axes"), "{e}");
    let e = Stencil::<f64>::laplacian(&[3], &[-1.0], Boundary::Periodic).unwrap_err();
    assert!(e.to_string().contains("spacing"), "{e}");
    let e = Stencil::<f64>::new(&[3], Boundary::Periodic, f64::NAN, &[]).unwrap_err();
    assert!(e.to_string().contains("centre"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random stencils (0 to 9 taps, offsets up to ±3 on grids as small as one point, so that
    /// taps wrap more than once or fall off entirely) agree with their materialised matrix in
    /// A x, Aᵀ x and b − A x, under both boundaries.
    #[test]
    fn random_stencils_match_their_matrix(
        dims in prop::collection::vec(1usize..7, 1..=3),
        raw in prop::collection::vec((prop::collection::vec(-3isize..=3, 3), -2.0f64..2.0), 0..10),
        periodic in any::<bool>(),
        seed in 0u64..1000,
    ) {
        let d = dims.len();
        let taps: Vec<(&[isize], f64)> = raw.iter().map(|(o, w)| (&o[..d], *w)).collect();
        let boundary = if periodic { Boundary::Periodic } else { Boundary::Dirichlet };
        let s = Stencil::new(&dims, boundary, 1.5, &taps).unwrap();
        let csr = prdp_core::to_csr(&s).unwrap();
        let n = s.len();
        let mut r = rng(seed);
        let x = uniform(&mut r, n);
        let b = uniform(&mut r, n);
        let (mut y1, mut y2) = (vec![0.0; n], vec![0.0; n]);
        s.apply(&x, &mut y1);
        csr.apply(&x, &mut y2);
        close(&y1, &y2, "A x")?;
        s.apply_transpose(&x, &mut y1);
        csr.apply_transpose(&x, &mut y2);
        close(&y1, &y2, "Aᵀ x")?;
        let n1 = s.residual(&x, &b, &mut y1);
        let n2 = csr.residual(&x, &b, &mut y2);
        close(&y1, &y2, "b − A x")?;
        prop_assert!((n1 - n2).abs() <= 1e-12 * (1.0 + n2), "‖b − A x‖²: {n1} vs {n2}");
        let at = Transposed(&s);
        at.residual_vector(&x, &b, &mut y1);
        Transposed(&csr).residual_vector(&x, &b, &mut y2);
        close(&y1, &y2, "b − Aᵀ x")?;
        let mut diag = vec![0.0; n];
        csr.diagonal(&mut diag).unwrap();
        let c = at.constant_diagonal().unwrap();
        prop_assert!(diag.iter().all(|d| (d - c).abs() <= 1e-12), "diagonal {diag:?} vs {c}");
    }
}

fn close(a: &[f64], b: &[f64], what: &str) -> Result<(), TestCaseError> {
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        prop_assert!(
            (x - y).abs() <= 1e-12 * (1.0 + y.abs()),
            "{what}[{i}]: {x} vs {y}"
        );
    }
    Ok(())
}
