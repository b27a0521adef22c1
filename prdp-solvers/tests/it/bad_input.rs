//! Bad input gives clear errors; degenerate input gives defined results.

use crate::common::{poisson_1d, spd};
use prdp_core::{Boundary, CsrMatrix, Error, FnOperator, LinearOperator};
use prdp_solvers::{
    Budget, DiffMode, DiffSolver, FactoredCotangent, Method, PreconditionerKind, Seeds,
    SolveOptions, SolverError, Tape, Workspace,
};
use prdp_testing::vector;

const ALL: [Method; 6] = [
    Method::Jacobi,
    Method::SteepestDescent,
    Method::Cg {
        preconditioner: PreconditionerKind::None,
    },
    Method::Cg {
        preconditioner: PreconditionerKind::Jacobi,
    },
    Method::Gmres { restart: 4 },
    Method::BiCgStab,
];

fn solve(
    m: Method,
    a: &CsrMatrix<f64>,
    b: &[f64],
    x: &mut [f64],
) -> prdp_solvers::Result<prdp_solvers::SolveReport> {
    solve_under(m, a, b, x, &Budget::new(50, 1e-8).unwrap())
}

/// A solve of any operator from zero under `budget`, with a fresh workspace.
fn solve_under(
    m: Method,
    a: &impl LinearOperator<f64>,
    b: &[f64],
    x: &mut [f64],
    budget: &Budget,
) -> prdp_solvers::Result<prdp_solvers::SolveReport> {
    m.solve(
        a,
        b,
        x,
        budget,
        &SolveOptions::default(),
        &mut Workspace::new(),
    )
}

#[test]
fn mismatched_lengths_name_the_vector() {
    let a = spd(1, 5);
    for m in ALL {
        let e = solve(m, &a, &[1.0; 4], &mut [0.0; 5]).unwrap_err();
        assert!(
            matches!(&e, SolverError::Core(Error::Length { expected: 5, got: 4, what }) if what.contains("right-hand side")),
            "{}: {e}",
            m.name()
        );
        let e = solve(m, &a, &[1.0; 5], &mut [0.0; 6]).unwrap_err();
        assert!(
            matches!(&e, SolverError::Core(Error::Length { expected: 5, got: 6, what }) if what.contains("solution")),
            "{}: {e}",
            m.name()
        );
    }
    let rect = CsrMatrix::from_triplets(3, 4, &[(0, 0, 1.0)]).unwrap();
    let e = solve(Method::Jacobi, &rect, &[1.0; 3], &mut [0.0; 3]).unwrap_err();
    assert!(
        matches!(
            e,
            SolverError::Core(Error::NotSquare {
                rows: 3,
                cols: 4,
                ..
            })
        ),
        "{e}"
    );
}

#[test]
fn non_finite_right_hand_side_is_rejected() {
    let a = spd(2, 5);
    for m in ALL {
        let e = solve(m, &a, &[1.0, 2.0, f64::NAN, 0.0, 0.0], &mut [0.0; 5]).unwrap_err();
        assert!(
            matches!(e, SolverError::Core(Error::NonFinite { index: 2, .. })),
            "{}: {e}",
            m.name()
        );
    }
    let mut x = [0.0, f64::INFINITY, 0.0, 0.0, 0.0];
    let e = Method::Jacobi
        .solve(
            &a,
            &[1.0; 5],
            &mut x,
            &Budget::fixed(3),
            &SolveOptions {
                warm_start: true,
                record_history: false,
            },
            &mut Workspace::new(),
        )
        .unwrap_err();
    assert!(
        matches!(&e, SolverError::Core(Error::NonFinite { what, index: 1, .. }) if what.contains("initial guess")),
        "{e}"
    );
}

#[test]
fn zero_right_hand_side_returns_zero_converged() {
    let a = spd(3, 6);
    for m in ALL {
        let mut x = [7.0; 6];
        let r = solve(m, &a, &[0.0; 6], &mut x).unwrap();
        assert_eq!(x, [0.0; 6]);
        assert!(
            r.converged() && r.iterations == 0 && r.matvecs == 0,
            "{}: {r:?}",
            m.name()
        );
    }
}

#[test]
fn singular_or_indefinite_systems_fail_with_typed_errors() {
    // Zero diagonal entry: Jacobi cannot scale.
    let a = CsrMatrix::from_triplets(2, 2, &[(0, 1, 1.0), (1, 0, 1.0), (1, 1, 2.0)]).unwrap();
    let e = solve(Method::Jacobi, &a, &[1.0, 1.0], &mut [0.0; 2]).unwrap_err();
    assert!(
        matches!(&e, SolverError::Core(Error::Singular { detail, .. }) if detail.contains("diagonal entry 0")),
        "{e}"
    );
    // Singular matrix: steepest descent meets rᵀAr = 0 along the kernel.
    let a = CsrMatrix::from_triplets(2, 2, &[(0, 0, 1.0)]).unwrap();
    let e = solve(Method::SteepestDescent, &a, &[0.0, 1.0], &mut [0.0; 2]).unwrap_err();
    assert!(
        matches!(
            e,
            SolverError::Breakdown {
                solver: "steepest descent",
                iteration: 0,
                ..
            }
        ),
        "{e}"
    );
    let e = solve(
        Method::Cg {
            preconditioner: PreconditionerKind::None,
        },
        &a,
        &[0.0, 1.0],
        &mut [0.0; 2],
    )
    .unwrap_err();
    assert!(
        matches!(e, SolverError::Breakdown { solver: "CG", .. }),
        "{e}"
    );
    // An operator that returns NaN makes the residual non-finite: under a fixed budget the
    // norm is first read after the last sweep, with a tolerance after the first.
    let nan = FnOperator::new(
        3,
        3,
        |_: &[f64], y: &mut [f64]| y.fill(f64::NAN),
        |_: &[f64], y: &mut [f64]| y.fill(f64::NAN),
    )
    .with_diagonal(vec![1.0; 3])
    .unwrap();
    let e = solve_under(
        Method::Jacobi,
        &nan,
        &[1.0; 3],
        &mut [0.0; 3],
        &Budget::fixed(5),
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            SolverError::Breakdown {
                solver: "Jacobi",
                iteration: 5,
                ..
            }
        ),
        "{e}"
    );
    let e = solve_under(
        Method::Jacobi,
        &nan,
        &[1.0; 3],
        &mut [0.0; 3],
        &Budget::new(5, 1e-8).unwrap(),
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            SolverError::Breakdown {
                solver: "Jacobi",
                iteration: 1,
                ..
            }
        ),
        "{e}"
    );
    let e = solve_under(
        Method::Gmres { restart: 2 },
        &nan,
        &[1.0; 3],
        &mut [0.0; 3],
        &Budget::fixed(5),
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            SolverError::Breakdown {
                solver: "GMRES",
                ..
            }
        ),
        "{e}"
    );
    // A stencil whose constant diagonal is zero: Jacobi's scalar inverse is refused.
    let zero_centre =
        prdp_core::Stencil::<f64>::new(&[4], Boundary::Dirichlet, 0.0, &[(&[1], 1.0)]).unwrap();
    let e = solve_under(
        Method::Jacobi,
        &zero_centre,
        &[1.0; 4],
        &mut [0.0; 4],
        &Budget::fixed(5),
    )
    .unwrap_err();
    assert!(
        matches!(&e, SolverError::Core(Error::Singular { detail, .. }) if detail.contains("diagonal entry 0 is 0")),
        "{e}"
    );
    // No diagonal: Jacobi says so.
    let nodiag = FnOperator::new(
        2,
        2,
        |x: &[f64], y: &mut [f64]| y.copy_from_slice(x),
        |x: &[f64], y: &mut [f64]| y.copy_from_slice(x),
    );
    let e = solve_under(
        Method::Jacobi,
        &nodiag,
        &[1.0; 2],
        &mut [0.0; 2],
        &Budget::fixed(5),
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            SolverError::Core(Error::NoDiagonal {
                needed_by: "Jacobi",
                ..
            })
        ),
        "{e}"
    );
}

#[test]
fn invalid_configurations_are_errors() {
    assert!(Budget::new(5, f64::NAN).is_err());
    let e = Method::Gmres { restart: 0 }.validate().unwrap_err();
    assert!(e.to_string().contains("restart"), "{e}");
    let e = DiffSolver::new(
        Method::Gmres { restart: 2 },
        Budget::fixed(3),
        DiffMode::Unrolled,
    )
    .unwrap_err();
    assert!(e.to_string().contains("implicit"), "{e}");
    let e = DiffSolver::new(
        Method::Jacobi,
        Budget::fixed(3),
        DiffMode::Checkpointed { segment: Some(0) },
    )
    .unwrap_err();
    assert!(e.to_string().contains("segment"), "{e}");
    let bad: Result<Method, _> = serde_json::from_str(r#"{"kind": "jacobi", "omega": 0.7}"#);
    assert!(bad.is_err());
    let bad: Result<Budget, _> =
        serde_json::from_str(r#"{"max_iters": 3, "rtol": 1e-5, "atol": 0}"#);
    assert!(bad.unwrap_err().to_string().contains("atol"));
}

#[test]
fn backward_checks_the_seed() {
    let a = poisson_1d(8);
    let solver = DiffSolver::new(Method::Jacobi, Budget::fixed(4), DiffMode::Unrolled).unwrap();
    let (mut tape, mut ws) = (Tape::new(), Workspace::new());
    let b = vector(1, 8);
    let mut u = vec![0.0; 8];
    solver.forward(&a, &b, &mut u, &mut tape, &mut ws).unwrap();
    let mut b_bar = vec![0.0; 8];
    let e = solver
        .backward(
            &a,
            &b,
            &mut tape,
            Seeds {
                u_bar: &[1.0; 7],
                b_bar: &mut b_bar,
                sink: &mut FactoredCotangent::default(),
            },
            &mut ws,
        )
        .unwrap_err();
    assert!(
        matches!(
            e,
            SolverError::Core(Error::Length {
                expected: 8,
                got: 7,
                ..
            })
        ),
        "{e}"
    );
    let mut seed = vec![0.0; 8];
    seed[3] = f64::NAN;
    let e = solver
        .backward(
            &a,
            &b,
            &mut tape,
            Seeds {
                u_bar: &seed,
                b_bar: &mut b_bar,
                sink: &mut FactoredCotangent::default(),
            },
            &mut ws,
        )
        .unwrap_err();
    assert!(
        matches!(e, SolverError::Core(Error::NonFinite { index: 3, .. })),
        "{e}"
    );
}
