//! Every operator: adjoint identity, materialisation and diagonal consistent with the product.

use crate::common::*;
use prdp_core::{Boundary, LinearOperator};
use prdp_pde::{Assembly, NsScheme};
use proptest::prelude::*;

/// ⟨A x, y⟩ = ⟨x, Aᵀ y⟩, the materialised entries reproduce A x and Aᵀ y, the diagonal matches.
fn check_operator<A: Assembly<f64>>(a: &A, g: &[f64], seed: u64) {
    let mut scratch = vec![0.0; a.operator_scratch_len()];
    let op = a.operator(g, &mut scratch);
    let n = op.nrows();
    let (x, y) = (vector(seed, n), vector(seed + 1, n));
    let (mut ax, mut aty) = (vec![0.0; n], vec![0.0; n]);
    op.apply(&x, &mut ax);
    op.apply_transpose(&y, &mut aty);
    let (l, r) = (dot(&ax, &y), dot(&x, &aty));
    assert!(
        (l - r).abs() <= 1e-10 * (1.0 + l.abs()),
        "{}: <Ax,y> = {l} vs <x,A'y> = {r}",
        a.describe()
    );
    let (_, m) = dense(a, g);
    let mut mx = vec![0.0; n];
    let mut mty = vec![0.0; n];
    for i in 0..n {
        for j in 0..n {
            mx[i] += m[i * n + j] * x[j];
            mty[j] += m[i * n + j] * y[i];
        }
    }
    let scale = 1.0 + norm(&ax);
    assert!(
        max_abs_diff(&mx, &ax) <= 1e-11 * scale,
        "{}: materialised A x",
        a.describe()
    );
    assert!(
        max_abs_diff(&mty, &aty) <= 1e-11 * (1.0 + norm(&aty)),
        "{}: materialised A'y",
        a.describe()
    );
    let mut d = vec![0.0; n];
    op.diagonal(&mut d).unwrap();
    let md: Vec<f64> = (0..n).map(|i| m[i * n + i]).collect();
    assert!(
        max_abs_diff(&d, &md) <= 1e-12 * scale,
        "{}: diagonal",
        a.describe()
    );
}

#[test]
fn constant_operators() {
    check_operator(&poisson(17, 3), &[1.0, 2.0, 3.0], 1);
    for b in [Boundary::Dirichlet, Boundary::Periodic] {
        check_operator(&heat(&[9], b), &[], 2);
        check_operator(&heat(&[5, 7], b), &[], 3);
        check_operator(&heat(&[4, 3, 5], b), &[], 4);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn state_dependent_operators(n in 3usize..11, seed in 0u64..1000) {
        let b1 = burgers1d(2 * n);
        check_operator(&b1, &vector(seed, b1.input_len()), seed);
        let b2 = burgers2d(n);
        check_operator(&b2, &vector(seed + 7, b2.input_len()), seed);
        for scheme in [NsScheme::Paper, NsScheme::Reference] {
            let a = ns(n, scheme);
            check_operator(&a, &vector(seed + 9, a.input_len()), seed);
        }
    }
}

/// Navier–Stokes' pressure block is zero: Jacobi cannot run and says so.
#[test]
fn navier_stokes_diagonal_has_zeros() {
    use prdp_pde::Physics;
    use prdp_solvers::{Budget, DiffMode, DiffSolver, Method};
    let a = ns(6, NsScheme::Paper);
    let g = vector(1, a.input_len());
    let solver = DiffSolver::new(Method::Jacobi, Budget::fixed(3), DiffMode::Unrolled).unwrap();
    let mut p = Physics::new(a, solver).unwrap();
    let mut u = vec![0.0; g.len()];
    let err = p.forward_batch(&g, &mut u, 1).unwrap_err();
    assert!(err.to_string().contains("diagonal entry"), "{err}");
}
