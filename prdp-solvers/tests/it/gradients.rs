//! Gradients of differentiable solves against central finite differences (f64).

use prdp_core::{CsrMatrix, Factorization};
use prdp_solvers::{
    Budget, DiffMode, DiffSolver, DiscardCotangent, FactoredCotangent, Method, PreconditionerKind,
    Seeds, Tape, Workspace,
};
use prdp_testing::{dot, rng, vector};
use proptest::prelude::*;
use rand::RngExt;

type Triplets = Vec<(usize, usize, f64)>;

/// A(θ) = A₀ + Σₚ θₚ Eₚ with sparse directions Eₚ that touch the diagonal too.
struct ParamSystem {
    n: usize,
    base: Triplets,
    dirs: Vec<Triplets>,
}

impl ParamSystem {
    fn new(seed: u64, n: usize, params: usize, symmetric: bool, dominant: bool) -> Self {
        let mut r = rng(seed);
        let mut base = Vec::new();
        let mut row = vec![0.0; n];
        for i in 0..n {
            for _ in 0..3 {
                let j = r.random_range(0..n);
                if j == i {
                    continue;
                }
                let v: f64 = r.random_range(-1.0..1.0);
                base.push((i, j, v));
                row[i] += v.abs();
                row[j] += v.abs();
                if symmetric {
                    base.push((j, i, v));
                    row[j] += v.abs();
                    row[i] += v.abs();
                }
            }
        }
        for (i, s) in row.iter().enumerate() {
            let d = if dominant { s + 1.0 } else { 3.0 };
            base.push((i, i, d));
        }
        let dirs = (0..params)
            .map(|_| {
                let mut e = Vec::new();
                for _ in 0..n.max(2) {
                    let i = r.random_range(0..n);
                    let j = if r.random_bool(0.4) {
                        i
                    } else {
                        r.random_range(0..n)
                    };
                    let v: f64 = r.random_range(-0.3..0.3);
                    e.push((i, j, v));
                    if symmetric && i != j {
                        e.push((j, i, v));
                    }
                }
                e
            })
            .collect();
        Self { n, base, dirs }
    }

    fn matrix(&self, theta: &[f64]) -> CsrMatrix<f64> {
        let mut t = self.base.clone();
        for (e, th) in self.dirs.iter().zip(theta) {
            t.extend(e.iter().map(|&(i, j, v)| (i, j, th * v)));
        }
        CsrMatrix::from_triplets(self.n, self.n, &t).unwrap()
    }

    /// ⟨Ā, Eₚ⟩ = dL/dθₚ.
    fn contract(&self, a_bar: &FactoredCotangent<f64>, p: usize) -> f64 {
        self.dirs[p]
            .iter()
            .map(|&(i, j, v)| v * a_bar.entry(i, j))
            .sum()
    }
}

/// L = wᵀ u where u is the solver's output.
fn loss(solver: &DiffSolver, a: &CsrMatrix<f64>, b: &[f64], w: &[f64]) -> f64 {
    let mut u = vec![0.0; b.len()];
    solver
        .forward(a, b, &mut u, &mut Tape::new(), &mut Workspace::new())
        .unwrap();
    dot(&u, w)
}

struct Grad {
    b_bar: Vec<f64>,
    a_bar: FactoredCotangent<f64>,
}

fn gradient(solver: &DiffSolver, a: &CsrMatrix<f64>, b: &[f64], w: &[f64]) -> Grad {
    let (mut tape, mut ws) = (Tape::new(), Workspace::new());
    let mut u = vec![0.0; b.len()];
    solver.forward(a, b, &mut u, &mut tape, &mut ws).unwrap();
    let mut b_bar = vec![0.0; b.len()];
    let mut a_bar = FactoredCotangent::default();
    solver
        .backward(
            a,
            b,
            &mut tape,
            Seeds {
                u_bar: w,
                b_bar: &mut b_bar,
                sink: &mut a_bar,
            },
            &mut ws,
        )
        .unwrap();
    Grad { b_bar, a_bar }
}

/// Checks b̄ along a random direction and every ∂L/∂θₚ against central differences of `f`.
fn check_against_fd(
    sys: &ParamSystem,
    theta: &[f64],
    b: &[f64],
    grad: &Grad,
    f: impl Fn(&CsrMatrix<f64>, &[f64]) -> f64,
    tol: f64,
    label: &str,
) {
    let h = 1e-5;
    let a = sys.matrix(theta);
    let delta = vector(99, b.len());
    let bp: Vec<f64> = b.iter().zip(&delta).map(|(x, d)| x + h * d).collect();
    let bm: Vec<f64> = b.iter().zip(&delta).map(|(x, d)| x - h * d).collect();
    let fd = (f(&a, &bp) - f(&a, &bm)) / (2.0 * h);
    let ad = dot(&grad.b_bar, &delta);
    assert!(
        (fd - ad).abs() <= tol * (1.0 + fd.abs()),
        "{label}: d/db: AD {ad:e} vs FD {fd:e}"
    );
    for p in 0..theta.len() {
        let mut tp = theta.to_vec();
        tp[p] += h;
        let mut tm = theta.to_vec();
        tm[p] -= h;
        let fd = (f(&sys.matrix(&tp), b) - f(&sys.matrix(&tm), b)) / (2.0 * h);
        let ad = sys.contract(&grad.a_bar, p);
        assert!(
            (fd - ad).abs() <= tol * (1.0 + fd.abs()),
            "{label}: d/dθ{p}: AD {ad:e} vs FD {fd:e}"
        );
    }
}

const UNROLLABLE: [(Method, bool); 4] = [
    (Method::Jacobi, false),
    (Method::SteepestDescent, true),
    (
        Method::Cg {
            preconditioner: PreconditionerKind::None,
        },
        true,
    ),
    (
        Method::Cg {
            preconditioner: PreconditionerKind::Jacobi,
        },
        true,
    ),
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// Unrolled gradients are the exact gradients of the K-step program, with respect to b and
    /// to the entries of a parameter-dependent matrix (diagonal included).
    #[test]
    fn unrolled_gradients_match_finite_differences(n in 3usize..20, k in 1usize..12, seed in 0u64..10_000) {
        for (method, symmetric) in UNROLLABLE {
            let sys = ParamSystem::new(seed, n, 3, symmetric, true);
            let theta = [0.3, -0.2, 0.5];
            let b = vector(seed + 1, n);
            let w = vector(seed + 2, n);
            let solver = DiffSolver::new(method, Budget::fixed(k), DiffMode::Unrolled).unwrap();
            let g = gradient(&solver, &sys.matrix(&theta), &b, &w);
            check_against_fd(&sys, &theta, &b, &g, |a, b| loss(&solver, a, b, &w), 1e-6, &format!("{} unrolled K={k}", method.name()));
        }
    }

    /// Checkpointed unrolling stores O(√K) states and reproduces the stored unrolled gradient
    /// bit for bit.
    #[test]
    fn checkpointed_equals_stored_unrolling(n in 3usize..20, k in 1usize..30, segment in 1usize..7, seed in 0u64..10_000) {
        for (method, symmetric) in UNROLLABLE {
            let sys = ParamSystem::new(seed, n, 2, symmetric, true);
            let a = sys.matrix(&[0.1, 0.2]);
            let b = vector(seed + 3, n);
            let w = vector(seed + 4, n);
            let stored = DiffSolver::new(method, Budget::fixed(k), DiffMode::Unrolled).unwrap();
            let ckpt = DiffSolver::new(method, Budget::fixed(k), DiffMode::Checkpointed { segment: Some(segment) }).unwrap();
            let g1 = gradient(&stored, &a, &b, &w);
            let g2 = gradient(&ckpt, &a, &b, &w);
            prop_assert_eq!(&g1.b_bar, &g2.b_bar);
            prop_assert_eq!(&g1.a_bar, &g2.a_bar);
        }
    }

    /// A sink that discards the matrix cotangent lets the reverse pass skip the work that
    /// only feeds it; b̄ is unchanged bit for bit, for stored and checkpointed unrolling.
    #[test]
    fn discarding_the_matrix_cotangent_leaves_b_bar_unchanged(n in 3usize..20, k in 1usize..12, seed in 0u64..10_000) {
        for (method, symmetric) in UNROLLABLE {
            let sys = ParamSystem::new(seed, n, 2, symmetric, true);
            let a = sys.matrix(&[0.1, -0.2]);
            let b = vector(seed + 5, n);
            let w = vector(seed + 6, n);
            for mode in [DiffMode::Unrolled, DiffMode::Checkpointed { segment: Some(3) }] {
                let solver = DiffSolver::new(method, Budget::fixed(k), mode).unwrap();
                let full = gradient(&solver, &a, &b, &w);
                let (mut tape, mut ws) = (Tape::new(), Workspace::new());
                let mut u = vec![0.0; n];
                solver.forward(&a, &b, &mut u, &mut tape, &mut ws).unwrap();
                let mut b_bar = vec![0.0; n];
                solver
                    .backward(&a, &b, &mut tape, Seeds { u_bar: &w, b_bar: &mut b_bar, sink: &mut DiscardCotangent }, &mut ws)
                    .unwrap();
                prop_assert_eq!(&full.b_bar, &b_bar, "{} {:?}", method.name(), mode);
            }
        }
    }
}

/// L(θ, b) = wᵀ A(θ)⁻¹ b by faer.
fn exact_loss(a: &CsrMatrix<f64>, b: &[f64], w: &[f64]) -> f64 {
    let mut x = vec![0.0; b.len()];
    Factorization::sparse_lu(a)
        .unwrap()
        .solve(b, &mut x)
        .unwrap();
    dot(&x, w)
}

#[test]
fn implicit_gradients_at_convergence_match_the_exact_solve() {
    let budget = Budget::new(5000, 1e-13).unwrap();
    let cases = [
        (Method::Jacobi, false),
        (Method::SteepestDescent, true),
        (
            Method::Cg {
                preconditioner: PreconditionerKind::Jacobi,
            },
            true,
        ),
        (Method::Gmres { restart: 2 }, false),
        (Method::Gmres { restart: 8 }, false),
        (Method::BiCgStab, false),
    ];
    for (seed, (method, symmetric)) in cases.into_iter().enumerate() {
        let n = 25;
        let sys = ParamSystem::new(seed as u64, n, 3, symmetric, true);
        let theta = [0.2, 0.4, -0.3];
        let b = vector(11 + seed as u64, n);
        let w = vector(12 + seed as u64, n);
        let solver = DiffSolver::new(
            method,
            budget,
            DiffMode::Implicit {
                adjoint_budget: None,
            },
        )
        .unwrap();
        let g = gradient(&solver, &sys.matrix(&theta), &b, &w);
        assert_eq!(g.a_bar.rank_one.len(), 1, "implicit Ā is one rank-one term");
        check_against_fd(
            &sys,
            &theta,
            &b,
            &g,
            |a, b| exact_loss(a, b, &w),
            1e-7,
            &format!("{} implicit", method.name()),
        );
    }
}

#[test]
fn implicit_and_unrolled_agree_at_convergence() {
    let n = 20;
    for (method, symmetric) in UNROLLABLE {
        let sys = ParamSystem::new(5, n, 2, symmetric, true);
        let a = sys.matrix(&[0.3, 0.1]);
        let b = vector(21, n);
        let w = vector(22, n);
        let k = 400;
        let unrolled =
            DiffSolver::new(method, Budget::new(k, 1e-14).unwrap(), DiffMode::Unrolled).unwrap();
        let implicit = DiffSolver::new(
            method,
            Budget::new(k, 1e-14).unwrap(),
            DiffMode::Implicit {
                adjoint_budget: None,
            },
        )
        .unwrap();
        let gu = gradient(&unrolled, &a, &b, &w);
        let gi = gradient(&implicit, &a, &b, &w);
        let err: f64 = gu
            .b_bar
            .iter()
            .zip(&gi.b_bar)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max);
        assert!(err < 1e-9, "{}: b̄ differs by {err:e}", method.name());
        for p in 0..2 {
            let (x, y) = (sys.contract(&gu.a_bar, p), sys.contract(&gi.a_bar, p));
            assert!(
                (x - y).abs() < 1e-9 * (1.0 + y.abs()),
                "{}: dθ{p} {x:e} vs {y:e}",
                method.name()
            );
        }
    }
}

#[test]
fn implicit_adjoint_budget_is_independent_of_the_primal() {
    let sys = ParamSystem::new(3, 30, 1, false, true);
    let a = sys.matrix(&[0.0]);
    let b = vector(1, 30);
    let short = DiffSolver::new(
        Method::Jacobi,
        Budget::fixed(3),
        DiffMode::Implicit {
            adjoint_budget: Some(Budget::fixed(7)),
        },
    )
    .unwrap();
    let (mut tape, mut ws) = (Tape::new(), Workspace::new());
    let mut u = vec![0.0; 30];
    assert_eq!(
        short
            .forward(&a, &b, &mut u, &mut tape, &mut ws)
            .unwrap()
            .iterations,
        3
    );
    let mut b_bar = vec![0.0; 30];
    let adj = short
        .backward(
            &a,
            &b,
            &mut tape,
            Seeds {
                u_bar: &vector(2, 30),
                b_bar: &mut b_bar,
                sink: &mut FactoredCotangent::default(),
            },
            &mut ws,
        )
        .unwrap();
    assert_eq!(adj.iterations, 7);
}

#[test]
fn warm_started_unrolled_gradient_treats_the_guess_as_constant() {
    let n = 12;
    let sys = ParamSystem::new(8, n, 2, false, true);
    let theta = [0.1, -0.1];
    let b = vector(31, n);
    let w = vector(32, n);
    let u0 = vector(33, n);
    let solver = DiffSolver::new(Method::Jacobi, Budget::fixed(6), DiffMode::Unrolled)
        .unwrap()
        .with_warm_start(true);
    let run = |a: &CsrMatrix<f64>, b: &[f64]| {
        let mut u = u0.clone();
        solver
            .forward(a, b, &mut u, &mut Tape::new(), &mut Workspace::new())
            .unwrap();
        dot(&u, &w)
    };
    let (mut tape, mut ws) = (Tape::new(), Workspace::new());
    let mut u = u0.clone();
    let a = sys.matrix(&theta);
    solver.forward(&a, &b, &mut u, &mut tape, &mut ws).unwrap();
    let mut b_bar = vec![0.0; n];
    let mut a_bar = FactoredCotangent::default();
    solver
        .backward(
            &a,
            &b,
            &mut tape,
            Seeds {
                u_bar: &w,
                b_bar: &mut b_bar,
                sink: &mut a_bar,
            },
            &mut ws,
        )
        .unwrap();
    check_against_fd(
        &sys,
        &theta,
        &b,
        &Grad { b_bar, a_bar },
        run,
        1e-6,
        "warm-started Jacobi",
    );
}

#[test]
fn checkpointing_stores_fewer_states() {
    let sys = ParamSystem::new(4, 50, 0, true, true);
    let a = sys.matrix(&[]);
    let b = vector(3, 50);
    let mut u = vec![0.0; 50];
    let mut ws = Workspace::new();
    let mut full = Tape::new();
    let mut ckpt = Tape::new();
    DiffSolver::new(
        Method::SteepestDescent,
        Budget::fixed(100),
        DiffMode::Unrolled,
    )
    .unwrap()
    .forward(&a, &b, &mut u, &mut full, &mut ws)
    .unwrap();
    DiffSolver::new(
        Method::SteepestDescent,
        Budget::fixed(100),
        DiffMode::Checkpointed { segment: None },
    )
    .unwrap()
    .forward(&a, &b, &mut u, &mut ckpt, &mut ws)
    .unwrap();
    assert!(
        ckpt.stored_len() * 5 < full.stored_len(),
        "{} vs {}",
        ckpt.stored_len(),
        full.stored_len()
    );
}
