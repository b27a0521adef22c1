//! Reports: iteration and operator-application counts, histories, serde round trips.

use crate::common::{poisson_2d, spd};
use prdp_core::{FnOperator, LinearOperator};
use prdp_solvers::{
    Budget, Counters, DiffMode, DiffSolver, DiscardCotangent, Method, PreconditionerKind, Seeds,
    SolveOptions, SolveReport, StopReason, Tape, Workspace,
};
use prdp_testing::vector;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Wraps an operator and counts its applications.
fn counting<'a, A: LinearOperator<f64>>(
    a: &'a A,
    count: &'a AtomicUsize,
) -> impl LinearOperator<f64> + 'a {
    let mut d = vec![0.0; a.nrows()];
    a.diagonal(&mut d).unwrap();
    FnOperator::new(
        a.nrows(),
        a.ncols(),
        move |x: &[f64], y: &mut [f64]| {
            count.fetch_add(1, Ordering::Relaxed);
            a.apply(x, y)
        },
        move |x: &[f64], y: &mut [f64]| {
            count.fetch_add(1, Ordering::Relaxed);
            a.apply_transpose(x, y)
        },
    )
    .with_diagonal(d)
    .unwrap()
}

#[test]
fn matvec_counts_are_exact() {
    let base = spd(1, 40);
    let b = vector(2, 40);
    let cases = [
        (Method::Jacobi, 7, 7),
        (Method::SteepestDescent, 7, 7),
        (
            Method::Cg {
                preconditioner: PreconditionerKind::None,
            },
            7,
            7,
        ),
        // K cycles of m Arnoldi steps plus a true residual per cycle after the first.
        (Method::Gmres { restart: 3 }, 4, 4 * 3 + 4),
        (Method::BiCgStab, 5, 10),
    ];
    for (m, k, expected) in cases {
        let count = AtomicUsize::new(0);
        let a = counting(&base, &count);
        let mut x = vec![0.0; 40];
        let r = m
            .solve(
                &a,
                &b,
                &mut x,
                &Budget::fixed(k),
                &SolveOptions::default(),
                &mut Workspace::new(),
            )
            .unwrap();
        assert_eq!(r.iterations, k, "{}", m.name());
        assert_eq!(r.matvecs, expected, "{}: reported", m.name());
        assert_eq!(
            count.load(Ordering::Relaxed),
            expected,
            "{}: counted",
            m.name()
        );
    }
}

#[test]
fn residual_history_is_monotone_for_cg_energy_and_ends_at_the_report() {
    let a = poisson_2d(10);
    let b = vector(3, 100);
    let mut x = vec![0.0; 100];
    let r = Method::Gmres { restart: 5 }
        .solve(
            &a,
            &b,
            &mut x,
            &Budget::new(100, 1e-9).unwrap(),
            &SolveOptions {
                warm_start: false,
                record_history: true,
            },
            &mut Workspace::new(),
        )
        .unwrap();
    let h = r.history.as_ref().unwrap();
    assert_eq!(h.len(), r.iterations + 1);
    assert_eq!(h[0], 1.0);
    assert_eq!(*h.last().unwrap(), r.rel_residual);
    assert!(
        h.windows(2).all(|w| w[1] <= w[0] * (1.0 + 1e-12)),
        "GMRES residuals never grow: {h:?}"
    );
}

#[test]
fn warm_start_from_the_solution_needs_no_iterations() {
    let a = spd(4, 30);
    let b = vector(5, 30);
    let mut x = vec![0.0; 30];
    let budget = Budget::new(1000, 1e-10).unwrap();
    Method::Jacobi
        .solve(
            &a,
            &b,
            &mut x,
            &budget,
            &SolveOptions::default(),
            &mut Workspace::new(),
        )
        .unwrap();
    for m in [
        Method::Jacobi,
        Method::Cg {
            preconditioner: PreconditionerKind::None,
        },
        Method::Gmres { restart: 4 },
        Method::BiCgStab,
    ] {
        let mut y = x.clone();
        let r = m
            .solve(
                &a,
                &b,
                &mut y,
                &budget,
                &SolveOptions {
                    warm_start: true,
                    record_history: false,
                },
                &mut Workspace::new(),
            )
            .unwrap();
        assert!(r.converged() && r.iterations == 0, "{}: {r:?}", m.name());
    }
}

/// A forward solve into `u` and its backward pass with the seed ū = b (matrix cotangent
/// discarded): the two reports.
fn forward_and_backward<A: LinearOperator<f64>>(
    solver: &DiffSolver,
    a: &A,
    b: &[f64],
    u: &mut [f64],
    tape: &mut Tape<f64>,
    ws: &mut Workspace<f64>,
) -> (SolveReport, SolveReport) {
    let primal = solver.forward(a, b, u, tape, ws).unwrap();
    let mut b_bar = vec![0.0; b.len()];
    let adjoint = solver
        .backward(
            a,
            b,
            tape,
            Seeds {
                u_bar: b,
                b_bar: &mut b_bar,
                sink: &mut DiscardCotangent,
            },
            ws,
        )
        .unwrap();
    (primal, adjoint)
}

/// Every method says why it stopped: the tolerance met (also at once, for b = 0), or the budget
/// spent (a fixed K, or too few iterations for the tolerance); a reverse sweep runs exactly the
/// forward's iterations.
#[test]
fn reports_say_why_a_solve_stopped() {
    let a = poisson_2d(6);
    let b = vector(8, 36);
    let opts = SolveOptions::default();
    for m in [
        Method::Jacobi,
        Method::SteepestDescent,
        Method::Cg {
            preconditioner: PreconditionerKind::None,
        },
        Method::Gmres { restart: 4 },
        Method::BiCgStab,
    ] {
        let mut ws = Workspace::new();
        let mut solve = |budget: Budget, b: &[f64]| {
            let mut x = vec![0.0; 36];
            m.solve(&a, b, &mut x, &budget, &opts, &mut ws).unwrap()
        };
        let fixed = solve(Budget::fixed(2), &b);
        assert_eq!(
            (fixed.stop, fixed.iterations),
            (StopReason::BudgetSpent, 2),
            "{}",
            m.name()
        );
        assert!(!fixed.converged());
        let short = solve(Budget::new(2, 1e-10).unwrap(), &b);
        assert_eq!(short.stop, StopReason::BudgetSpent, "{}", m.name());
        let met = solve(Budget::new(5000, 1e-6).unwrap(), &b);
        assert_eq!(met.stop, StopReason::Converged, "{}: {met:?}", m.name());
        assert!(met.converged() && met.rel_residual < 1e-6);
        let zero = solve(Budget::fixed(3), &[0.0; 36]);
        assert_eq!(
            (zero.stop, zero.iterations),
            (StopReason::Converged, 0),
            "{}",
            m.name()
        );
    }
    let solver = DiffSolver::new(Method::Jacobi, Budget::fixed(4), DiffMode::Unrolled).unwrap();
    let (mut tape, mut ws) = (Tape::new(), Workspace::new());
    let mut u = vec![0.0; 36];
    let (_, reverse) = forward_and_backward(&solver, &a, &b, &mut u, &mut tape, &mut ws);
    assert_eq!(
        (reverse.stop, reverse.iterations),
        (StopReason::BudgetSpent, 4)
    );
}

#[test]
fn counters_sum_primal_and_adjoint_work() {
    let a = spd(6, 20);
    let b = vector(7, 20);
    let solver = DiffSolver::new(
        Method::Jacobi,
        Budget::fixed(5),
        DiffMode::Implicit {
            adjoint_budget: Some(Budget::fixed(3)),
        },
    )
    .unwrap();
    let (mut tape, mut ws) = (Tape::new(), Workspace::new());
    let mut u = vec![0.0; 20];
    let mut c = Counters::default();
    for _ in 0..2 {
        let (primal, adjoint) = forward_and_backward(&solver, &a, &b, &mut u, &mut tape, &mut ws);
        c.add_primal(&primal);
        c.add_adjoint(&adjoint);
    }
    assert_eq!(
        (
            c.primal_iters,
            c.adjoint_iters,
            c.matvecs,
            c.primal_solves,
            c.adjoint_solves
        ),
        (10, 6, 16, 2, 2)
    );
    let mut total = Counters::default();
    total.merge(&c);
    total.merge(&c);
    assert_eq!(total.primal_iters, 20);
}

#[test]
fn configs_round_trip_through_json() {
    let s = DiffSolver::new(
        Method::Gmres { restart: 8 },
        Budget::new(16, 1e-5).unwrap(),
        DiffMode::Implicit {
            adjoint_budget: Some(Budget::fixed(4)),
        },
    )
    .unwrap();
    let j = serde_json::to_string(&s).unwrap();
    let back: DiffSolver = serde_json::from_str(&j).unwrap();
    assert_eq!(s, back);
    let m: Method = serde_json::from_str(r#"{"kind": "cg", "preconditioner": "jacobi"}"#).unwrap();
    assert_eq!(
        m,
        Method::Cg {
            preconditioner: PreconditionerKind::Jacobi
        }
    );
}
