//! Batch-major Jacobi: a minibatch of small systems that share one operator, swept as one
//! lane-interleaved array.
//!
//! Per-sample solves of a 30-unknown system spend most of their time on per-iteration and
//! per-call overhead (≈ 120 ns per sweep whatever the size). Interleaving the batch (entry i of
//! sample s at `i·count + s`) makes each sweep one long vectorised loop over the whole batch.
//! Every entry gets exactly the arithmetic of its per-sample solve, norms are summed in the
//! per-sample order ([`kernels::lane_norms2`]) and each sample stops where it would stop alone
//! (a converged sample's lane is frozen), so the results equal [`crate::jacobi`]'s bit for bit.

use prdp_core::{Lanes, LinearOperator, Real, check_len, invalid, kernels};
use rayon::prelude::*;

use crate::error::{Result, SolverError};
use crate::precond::invert_diagonal;
use crate::program::{square, validate, zero_rhs_report};
use crate::{Batch, Budget, SolveOptions, SolveReport, StopReason};

/// The largest number of unknowns per sample for which a batch is solved batch-major.
///
/// Measured with `cargo bench -p prdp-solvers -- batch_major` (K = 10, two cores, batch 25
/// unless said): batch-major takes 0.28× the time of the per-sample solves over the pool at 30
/// unknowns, 0.6–0.7× at 120, 0.7–1.1× at 256, 0.6–0.8× at 120 with batch 200 (two groups),
/// but 1.0–1.3× at 30² (two groups) and 2.6× at 64² (one group).
const MAX_BATCH_MAJOR_UNKNOWNS: usize = 256;

/// Unknowns per sweep (samples × unknowns) below which a second thread costs more than it saves.
const MIN_GROUP_WORK: usize = 8192;

/// How a batch of `count` systems of `n` unknowns that share one operator is solved: `0` sample
/// by sample over the thread pool, else batch-major in that many groups of samples, one per
/// thread ([`jacobi_batch_major`]). The one place this choice is made; see the measurements
/// on the constants above.
pub fn batch_major_groups(n: usize, count: usize) -> usize {
    if count < 2 || n > MAX_BATCH_MAJOR_UNKNOWNS {
        return 0;
    }
    (n * count / MIN_GROUP_WORK).clamp(1, rayon::current_num_threads().min(count))
}

/// Buffers of [`jacobi_batch_major`], reused across calls: after the first call with a given
/// batch shape nothing is allocated (unless a residual history is recorded).
#[derive(Debug, Clone, Default)]
pub struct LaneWorkspace<T> {
    groups: Vec<Group<T>>,
}

/// One group of samples solved batch-major on one thread.
#[derive(Debug, Clone, Default)]
struct Group<T> {
    u: Vec<T>,
    r: Vec<T>,
    b: Vec<T>,
    norms: Vec<T>,
    /// ‖bₛ‖ in f64, and the relative residuals ‖rₛ‖/‖bₛ‖ of the current iterate.
    bnorm: Vec<f64>,
    rel: Vec<f64>,
    lanes: Vec<Lane<T>>,
    /// Whether each sample still iterates.
    live: Vec<bool>,
    /// Operator applications before the first iteration (1 with a warm start).
    start_matvecs: usize,
    error: Option<SolverError>,
}

/// The progress of one sample; its counts are written when it stops.
#[derive(Debug, Clone, Default)]
struct Lane<T> {
    res2: Option<T>,
    iterations: usize,
    matvecs: usize,
    converged: bool,
    zero_rhs: bool,
    history: Option<Vec<f64>>,
    error: Option<SolverError>,
}

impl<T: Real> LaneWorkspace<T> {
    /// An empty workspace.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<T: Real> Group<T> {
    fn reserve(&mut self, count: usize, n: usize) {
        let fit = |v: &mut Vec<T>, len: usize| {
            if v.len() != len {
                v.resize(len, T::zero());
            }
        };
        fit(&mut self.u, count * n);
        fit(&mut self.r, count * n);
        fit(&mut self.b, count * n);
        fit(&mut self.norms, count);
        self.bnorm.resize(count, 1.0);
        self.rel.resize(count, 0.0);
        self.lanes.resize_with(count, Lane::default);
        self.live.resize(count, false);
    }
}

/// Solves A xₛ = bₛ by Jacobi relaxation for `count` right-hand sides stored sample-major
/// (sample s is `b[s·n..(s+1)·n]`), all at once in batch-major order on the calling thread.
///
/// `a` must have a batch-major form ([`LinearOperator::lanes`]: stencils, and their
/// [`prdp_core::Transposed`] views) and a constant diagonal. Each sample's solution, report
/// (written to `reports[s]`) and error equal those of [`crate::jacobi`] on that sample alone,
/// bit for bit: the same iterations, the same stopping iteration, the same residual norms.
/// Large batches are cut into [`batch_major_groups`] groups solved in parallel; the results do
/// not depend on the grouping or the number of threads.
///
/// # Errors
/// [`prdp_core::Error::InvalidArgument`] if `a` has no batch-major form or no constant
/// diagonal, or `count` is zero; [`prdp_core::Error::Length`] for wrong lengths;
/// otherwise the error [`crate::jacobi`] gives for the first failing sample in sample order.
///
/// # Example
/// ```
/// use prdp_core::{Boundary, Stencil};
/// use prdp_solvers::{Batch, Budget, LaneWorkspace, SolveOptions, SolveReport, Workspace, jacobi, jacobi_batch_major};
/// let a = Stencil::<f32>::laplacian(&[30], &[1.0 / 31.0], Boundary::Dirichlet)?.affine(1.0, -1e-3);
/// let b: Vec<f32> = (0..4 * 30).map(|i| (i as f32 * 0.37).sin()).collect();
/// let budget = Budget::new(25, 1e-5)?;
/// let mut x = vec![0.0; 4 * 30];
/// let mut reports = vec![SolveReport::default(); 4];
/// let batch = Batch { b: &b, x: &mut x, count: 4 };
/// jacobi_batch_major(&a, batch, &budget, &SolveOptions::default(), &mut LaneWorkspace::new(), &mut reports)?;
/// // Sample 2 solved alone gives the same bits.
/// let mut x2 = vec![0.0; 30];
/// let r2 = jacobi(&a, &b[60..90], &mut x2, &budget, &SolveOptions::default(), &mut Workspace::new())?;
/// assert_eq!(x2, x[60..90]);
/// assert_eq!(r2, reports[2]);
/// # Ok::<(), prdp_solvers::SolverError>(())
/// ```
pub fn jacobi_batch_major<T: Real, A: LinearOperator<T> + ?Sized>(
    a: &A,
    batch: Batch<'_, T>,
    budget: &Budget,
    opts: &SolveOptions,
    ws: &mut LaneWorkspace<T>,
    reports: &mut [SolveReport],
) -> Result<()> {
    let Batch { b, x, count } = batch;
    if count == 0 {
        return Err(invalid("count", 0, "at least one sample").into());
    }
    let lanes = a.lanes().ok_or_else(|| {
        invalid(
            "batch-major Jacobi operator",
            a.describe(),
            "an operator with a batch-major form (a stencil)",
        )
    })?;
    let diag = a.constant_diagonal().ok_or_else(|| {
        invalid(
            "batch-major Jacobi operator",
            a.describe(),
            "an operator with a constant diagonal",
        )
    })?;
    let n = square("Jacobi", a)?;
    check_len("batched right-hand sides (count * n)", count * n, b.len())?;
    check_len("batched solutions (count * n)", count * n, x.len())?;
    check_len("batched reports (count)", count, reports.len())?;
    let mut inv = [T::zero()];
    invert_diagonal(&[diag], &mut inv, || a.describe())?;
    budget.validate()?;
    let groups = batch_major_groups(n, count).max(1);
    let per = count.div_ceil(groups);
    let groups = count.div_ceil(per);
    if ws.groups.len() < groups {
        ws.groups.resize_with(groups, Group::default);
    }
    let solve = |group: &mut Group<T>, b: &[T], x: &mut [T], reports: &mut [SolveReport]| {
        let count = reports.len();
        group.reserve(count, n);
        let sys = System { a, lanes, n, count };
        start(&sys, b, x, budget, opts, group);
        iterate(lanes, inv[0], count, budget, opts, group);
        group.error = finish(x, count, n, opts, group, reports).err();
    };
    if groups == 1 {
        solve(&mut ws.groups[0], b, x, reports);
    } else {
        let len = per * n;
        ws.groups[..groups]
            .par_iter_mut()
            .zip(b.par_chunks(len))
            .zip(x.par_chunks_mut(len))
            .zip(reports.par_chunks_mut(per))
            .for_each(|(((group, b), x), reports)| solve(group, b, x, reports));
    }
    match ws.groups[..groups].iter_mut().find_map(|g| g.error.take()) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// The systems of one group of a batch-major solve: A, its batch-major form, its size and the
/// number of samples.
struct System<'s, T, A: ?Sized> {
    a: &'s A,
    lanes: Lanes<'s, T>,
    n: usize,
    count: usize,
}

/// Validates each sample, interleaves b (and the initial guess) and computes r₀ and its norms.
fn start<T: Real, A: LinearOperator<T> + ?Sized>(
    sys: &System<'_, T, A>,
    b: &[T],
    x: &[T],
    budget: &Budget,
    opts: &SolveOptions,
    ws: &mut Group<T>,
) {
    let System { a, lanes, n, count } = *sys;
    let lanes_state = ws
        .lanes
        .iter_mut()
        .zip(ws.live.iter_mut())
        .zip(ws.bnorm.iter_mut());
    for (s, ((lane, live), bnorm)) in lanes_state.enumerate() {
        let (bs, xs) = (&b[s * n..(s + 1) * n], &x[s * n..(s + 1) * n]);
        *lane = Lane {
            history: opts
                .record_history
                .then(|| Vec::with_capacity(budget.max_iters + 1)),
            ..Lane::default()
        };
        *live = false;
        match validate("Jacobi", a, bs, xs, budget, opts) {
            Ok((_, norm)) => {
                *bnorm = norm.as_f64();
                lane.zero_rhs = norm == T::zero();
                *live = !lane.zero_rhs;
            }
            Err(e) => lane.error = Some(e),
        }
    }
    prdp_core::interleave(b, &mut ws.b, count);
    if opts.warm_start {
        prdp_core::interleave(x, &mut ws.u, count);
        lanes.residual(&ws.u, &ws.b, &mut ws.r, count);
        kernels::lane_norms2(&ws.r, count, &mut ws.norms);
    } else {
        ws.u.fill(T::zero());
        ws.r.copy_from_slice(&ws.b);
        kernels::lane_norms2(&ws.b, count, &mut ws.norms);
    }
    ws.start_matvecs = usize::from(opts.warm_start);
}

/// The iteration: the stopping test of the per-sample driver for every live lane, then one
/// sweep over the batch in which the stopped lanes keep their iterate.
fn iterate<T: Real>(
    lanes: Lanes<'_, T>,
    inv_d: T,
    count: usize,
    budget: &Budget,
    opts: &SolveOptions,
    ws: &mut Group<T>,
) {
    let every_norm = budget.rtol > 0.0 || opts.record_history;
    let Group {
        u,
        r,
        b,
        norms,
        bnorm,
        rel,
        lanes: state,
        live,
        start_matvecs,
        ..
    } = ws;
    let stop = |lane: &mut Lane<T>, live: &mut bool, k: usize, r2: T| {
        *live = false;
        lane.iterations = k;
        lane.matvecs = *start_matvecs + k;
        lane.res2 = Some(r2);
    };
    let mut fresh = true;
    let mut k = 0;
    loop {
        if fresh {
            // One vectorised pass for every lane; the per-lane tests run only when one stops
            // or the history is recorded.
            for ((rel, &r2), &b) in rel.iter_mut().zip(norms.iter()).zip(bnorm.iter()) {
                *rel = r2.sqrt().as_f64() / b;
            }
            // Without short-circuits, so that the test runs as one vectorised pass.
            let ends = |(&l, (&rel, &r2)): (&bool, (&f64, &T))| {
                l & !(rel.is_finite() & (rel >= budget.rtol) & (r2 != T::zero()))
            };
            let lanes_state = live.iter().zip(rel.iter().zip(norms.iter()));
            let any_ends = lanes_state.fold(false, |any, lane| any | ends(lane));
            if any_ends || opts.record_history {
                let each = state
                    .iter_mut()
                    .zip(live.iter_mut())
                    .zip(rel.iter().zip(norms.iter()));
                for ((lane, l), (&rel, &r2)) in each {
                    if !*l {
                        continue;
                    }
                    if let Some(h) = lane.history.as_mut() {
                        h.push(rel);
                    }
                    if !rel.is_finite() {
                        lane.error = Some(SolverError::Breakdown {
                            solver: "Jacobi",
                            iteration: k,
                            reason: format!("the residual norm became {rel}"),
                        });
                        stop(lane, l, k, r2);
                    } else if rel < budget.rtol || r2 == T::zero() {
                        lane.converged = true;
                        stop(lane, l, k, r2);
                    }
                }
            }
        }
        if k == budget.max_iters {
            for ((lane, l), &r2) in state.iter_mut().zip(live.iter_mut()).zip(norms.iter()) {
                if *l {
                    stop(lane, l, k, r2);
                }
            }
        }
        if !live.contains(&true) {
            break;
        }
        if !live.contains(&false) {
            for (ui, &ri) in u.iter_mut().zip(r.iter()) {
                *ui = inv_d.mul_add(ri, *ui);
            }
        } else {
            for (ui, ri) in u.chunks_exact_mut(count).zip(r.chunks_exact(count)) {
                for ((u, &r), &l) in ui.iter_mut().zip(ri).zip(live.iter()) {
                    let next = inv_d.mul_add(r, *u);
                    *u = if l { next } else { *u };
                }
            }
        }
        lanes.residual(u, b, r, count);
        fresh = every_norm || k + 1 == budget.max_iters;
        if fresh {
            kernels::lane_norms2(r, count, norms);
        }
        k += 1;
    }
}

/// Writes the solutions and reports; returns the first error in sample order.
fn finish<T: Real>(
    x: &mut [T],
    count: usize,
    n: usize,
    opts: &SolveOptions,
    ws: &mut Group<T>,
    reports: &mut [SolveReport],
) -> Result<()> {
    if let Some(e) = ws.lanes.iter_mut().find_map(|l| l.error.take()) {
        return Err(e);
    }
    prdp_core::deinterleave(&ws.u, x, count);
    let each = ws.lanes.iter_mut().zip(reports).zip(&ws.bnorm);
    for (s, ((lane, report), &bnorm)) in each.enumerate() {
        let xs = &mut x[s * n..(s + 1) * n];
        *report = if lane.zero_rhs {
            zero_rhs_report(xs, opts)
        } else {
            let r2 = lane
                .res2
                .expect("a finished lane has the norm of its last iterate");
            SolveReport {
                iterations: lane.iterations,
                rel_residual: r2.sqrt().as_f64() / bnorm,
                stop: if lane.converged {
                    StopReason::Converged
                } else {
                    StopReason::BudgetSpent
                },
                matvecs: lane.matvecs,
                history: lane.history.take(),
            }
        };
    }
    Ok(())
}
