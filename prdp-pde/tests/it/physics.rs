//! The batched physics step: batches, stages, budgets, rollouts, thread independence.

use crate::common::*;
use prdp_pde::{Assembly, Physics};
use prdp_solvers::{Budget, DiffMode, DiffSolver, Method};

fn gmres(k: usize) -> DiffSolver {
    DiffSolver::new(
        Method::Gmres { restart: 2 },
        Budget::fixed(k),
        DiffMode::default(),
    )
    .unwrap()
}

/// A batch gives exactly the per-sample results, and counters sum over samples.
#[test]
fn batches_equal_single_samples() {
    let a = burgers1d(32);
    let count = 5;
    let g = vector(1, count * 32);
    let w = vector(2, count * 32);
    let mut p = Physics::new(a.clone(), gmres(4)).unwrap();
    let mut u = vec![0.0; g.len()];
    let c = p.forward_batch(&g, &mut u, count).unwrap();
    assert_eq!(
        (c.primal_iters, c.primal_solves),
        (4 * count as u64, count as u64)
    );
    let mut g_bar = vec![0.0; g.len()];
    let c = p.vjp_batch(&w, &mut g_bar).unwrap();
    assert_eq!(
        (c.adjoint_iters, c.adjoint_solves),
        (4 * count as u64, count as u64)
    );
    for s in 0..count {
        let mut q = Physics::new(a.clone(), gmres(4)).unwrap();
        let mut us = vec![0.0; 32];
        q.forward_batch(&g[s * 32..(s + 1) * 32], &mut us, 1)
            .unwrap();
        assert_eq!(&us[..], &u[s * 32..(s + 1) * 32]);
        let mut gs = vec![0.0; 32];
        q.vjp_batch(&w[s * 32..(s + 1) * 32], &mut gs).unwrap();
        assert_eq!(&gs[..], &g_bar[s * 32..(s + 1) * 32]);
    }
}

/// Results are identical with one thread and with several.
#[test]
fn thread_count_does_not_change_results() {
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let a = ns(8, prdp_pde::NsScheme::Paper);
            let g = vector(3, 7 * a.input_len());
            let mut p = Physics::new(a, gmres(3)).unwrap();
            let mut u = vec![0.0; g.len()];
            p.forward_batch(&g, &mut u, 7).unwrap();
            let mut g_bar = vec![0.0; g.len()];
            p.vjp_batch(&u, &mut g_bar).unwrap();
            (u, g_bar)
        })
    };
    assert_eq!(run(1), run(3));
}

/// Stages keep separate tapes (backpropagation through two calls); set_budget changes K;
/// a VJP before any forward pass is an error.
#[test]
fn stages_and_budgets() {
    let a = heat(&[10], prdp_core::Boundary::Dirichlet);
    let solver = DiffSolver::new(Method::Jacobi, Budget::fixed(5), DiffMode::Unrolled).unwrap();
    let mut p = Physics::new(a.clone(), solver).unwrap();
    let mut gb = vec![0.0; 10];
    assert!(matches!(
        p.vjp_batch(&[1.0; 10], &mut gb),
        Err(prdp_pde::PdeError::Order(_))
    ));
    let g0 = vector(4, 10);
    let (mut u1, mut u2) = (vec![0.0; 10], vec![0.0; 10]);
    p.forward_batch_at(0, &g0, &mut u1, 1).unwrap();
    p.set_budget(Budget::fixed(9)).unwrap();
    let c = p.forward_batch_at(1, &u1, &mut u2, 1).unwrap();
    assert_eq!(c.primal_iters, 9);
    // d(wᵀu²)/dg⁰ through both stages equals the product of the two (symmetric) K-step maps.
    let w = vector(5, 10);
    let (mut b1, mut b0) = (vec![0.0; 10], vec![0.0; 10]);
    p.vjp_batch_at(1, &w, &mut b1).unwrap();
    p.vjp_batch_at(0, &b1, &mut b0).unwrap();
    let mut single = Physics::new(a, solver).unwrap();
    let mut t = vec![0.0; 10];
    single.forward_batch(&g0, &mut t, 1).unwrap();
    single.set_budget(Budget::fixed(9)).unwrap();
    let mut t2 = vec![0.0; 10];
    single.forward_batch(&t, &mut t2, 1).unwrap();
    assert_eq!(t2, u2);
    single.vjp_batch(&w, &mut t).unwrap();
    assert_eq!(t, b1);
    assert!(p.set_adjoint_budget(Some(Budget::fixed(3))).is_err());
}

/// A rollout equals repeated forward passes; a warm start from the previous state converges in
/// fewer iterations.
#[test]
fn rollout_matches_forward_passes() {
    let a = burgers1d(32);
    let g0 = vector(6, 32);
    let steps = 3;
    let mut p = Physics::new(a.clone(), gmres(6)).unwrap();
    let mut traj = vec![0.0; (steps + 1) * 32];
    let c = p.rollout(&g0, steps, 1, &mut traj).unwrap();
    assert_eq!(c.primal_iters, 18);
    let mut state = g0.clone();
    for t in 1..=steps {
        let mut next = vec![0.0; 32];
        p.forward_batch(&state, &mut next, 1).unwrap();
        assert_eq!(&next[..], &traj[t * 32..(t + 1) * 32]);
        state = next;
    }
    let tol = Budget::new(100, 1e-8).unwrap();
    let cold = DiffSolver::new(Method::Gmres { restart: 2 }, tol, DiffMode::default()).unwrap();
    let mut pc = Physics::new(a.clone(), cold).unwrap();
    let mut pw = Physics::new(a, cold.with_warm_start(true)).unwrap();
    let ic = pc.rollout(&g0, steps, 1, &mut traj).unwrap().primal_iters;
    let iw = pw.rollout(&g0, steps, 1, &mut traj).unwrap().primal_iters;
    assert!(iw < ic, "warm {iw} vs cold {ic}");
}
