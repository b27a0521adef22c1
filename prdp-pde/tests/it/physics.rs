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

/// Stages keep separate tapes (backpropagation through two calls); set_budget changes K and
/// set_max_iters K alone;
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
    // set_max_iters changes K and keeps the configured tolerance.
    let tolerant = DiffSolver::new(
        Method::Jacobi,
        Budget::new(5, 1e-3).unwrap(),
        DiffMode::Unrolled,
    )
    .unwrap();
    let mut q = Physics::new(heat(&[10], prdp_core::Boundary::Dirichlet), tolerant).unwrap();
    q.set_max_iters(12);
    assert_eq!(q.budget(), Budget::new(12, 1e-3).unwrap());
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

/// Small constant-operator batches run batch-major and give the per-sample path's bits:
/// solutions, gradients, counters and residuals, with samples that stop at different
/// iterations, warm starts and a separate adjoint budget; f32 as in training.
#[test]
fn batch_major_batches_equal_single_samples() {
    use prdp_pde::{Heat, HeatConfig, Poisson};
    let heat2 = HeatConfig {
        dims: vec![6, 5],
        ..HeatConfig::paper(2)
    };
    let cases: Vec<(Box<dyn Check>, &str)> = vec![
        (
            Box::new(Heat::<f32>::new(HeatConfig::paper(1)).unwrap()),
            "heat 1D",
        ),
        (Box::new(Heat::<f32>::new(heat2).unwrap()), "heat 2D"),
        (
            Box::new(Poisson::<f32>::new(prdp_pde::PoissonConfig { n: 30, modes: 3 }).unwrap()),
            "Poisson 1D",
        ),
    ];
    for (assembly, name) in &cases {
        for (k, rtol, warm, adjoint) in [
            (25, 1e-5, false, None),
            (200, 1e-4, false, Some(Budget::new(7, 0.0).unwrap())),
            (12, 0.0, true, None),
        ] {
            assembly.check(name, k, rtol, warm, adjoint);
        }
    }
}

/// One assembly under the batch-major check (object-safe wrapper over the generic test).
trait Check {
    fn check(&self, name: &str, k: usize, rtol: f64, warm: bool, adjoint: Option<Budget>);
}

impl<A: Assembly<f32> + Clone> Check for A {
    fn check(&self, name: &str, k: usize, rtol: f64, warm: bool, adjoint: Option<Budget>) {
        let count = 6;
        let (ni, n) = (self.input_len(), self.state_len());
        let solver = DiffSolver::new(
            Method::Jacobi,
            Budget::new(k, rtol).unwrap(),
            DiffMode::Implicit {
                adjoint_budget: adjoint,
            },
        )
        .unwrap()
        .with_warm_start(warm);
        // Samples of different shapes and sizes stop at different iterations under a tolerance (heat;
        // Poisson needs thousands of Jacobi iterations, so all its samples use the budget).
        let g: Vec<f32> = vector(4, count * ni)
            .iter()
            .enumerate()
            .map(|(i, v)| (*v * 10f64.powi((i / ni) as i32 % 3)) as f32)
            .collect();
        let w: Vec<f32> = vector(5, count * n).iter().map(|v| *v as f32).collect();
        let u0: Vec<f32> = vector(6, count * n).iter().map(|v| *v as f32).collect();
        let mut p = Physics::new(self.clone(), solver).unwrap();
        let mut u = u0.clone();
        let c = p.forward_batch(&g, &mut u, count).unwrap();
        assert_eq!(p.ran_batch_major(0), Some(true), "{name}");
        let mut g_bar = vec![0.0f32; g.len()];
        let cb = p.vjp_batch(&w, &mut g_bar).unwrap();
        let mut iters = Vec::new();
        let (mut sum, mut sum_b, mut res) = (
            prdp_solvers::Counters::default(),
            prdp_solvers::Counters::default(),
            0.0,
        );
        for s in 0..count {
            let mut q = Physics::new(self.clone(), solver).unwrap();
            let mut us = u0[s * n..(s + 1) * n].to_vec();
            let cs = q
                .forward_batch(&g[s * ni..(s + 1) * ni], &mut us, 1)
                .unwrap();
            assert_eq!(q.ran_batch_major(0), Some(false));
            sum.merge(&cs);
            iters.push(cs.primal_iters);
            res += q.mean_rel_residual(0).unwrap();
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                bits(&us),
                bits(&u[s * n..(s + 1) * n]),
                "{name}: u of sample {s}"
            );
            let mut gs = vec![0.0f32; ni];
            sum_b.merge(&q.vjp_batch(&w[s * n..(s + 1) * n], &mut gs).unwrap());
            assert_eq!(
                bits(&gs),
                bits(&g_bar[s * ni..(s + 1) * ni]),
                "{name}: g_bar of sample {s}"
            );
        }
        assert_eq!((c, cb), (sum, sum_b), "{name}: counters");
        assert_eq!(p.mean_rel_residual(0), Some(res / count as f64), "{name}");
        if rtol > 0.0 && k > 100 && name.starts_with("heat") {
            iters.dedup();
            assert!(
                iters.len() > 1,
                "{name}: samples should stop at different iterations: {iters:?}"
            );
        }
    }
}
