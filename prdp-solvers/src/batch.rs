//! Many independent right-hand sides (a minibatch) solved in parallel.

use prdp_core::{LinearOperator, Real, check_len, invalid};
use rayon::prelude::*;

use crate::error::Result;
use crate::{
    Budget, LaneWorkspace, Method, SolveOptions, SolveReport, Workspace, batch_major_groups,
    jacobi_batch_major,
};

/// A batch of systems A xₛ = bₛ stored sample-major: sample s is `b[s·n..(s+1)·n]` and
/// `x[s·n..(s+1)·n]` (its initial guess on entry with a warm start, its solution on return).
#[derive(Debug)]
pub struct Batch<'a, T> {
    /// The right-hand sides, `count·n` entries.
    pub b: &'a [T],
    /// The solutions, `count·n` entries.
    pub x: &'a mut [T],
    /// The number of systems.
    pub count: usize,
}

/// One [`Workspace`] per sample, and the buffers of batch-major solves, reused across batched
/// solves.
#[derive(Debug, Clone, Default)]
pub struct BatchWorkspace<T> {
    per_sample: Vec<Workspace<T>>,
    lanes: LaneWorkspace<T>,
}

impl<T: Real> BatchWorkspace<T> {
    /// An empty batch workspace.
    pub fn new() -> Self {
        Self::default()
    }

    /// At least `count` per-sample workspaces.
    pub fn slots(&mut self, count: usize) -> &mut [Workspace<T>] {
        if self.per_sample.len() < count {
            self.per_sample.resize_with(count, Workspace::new);
        }
        &mut self.per_sample[..count]
    }
}

/// Solves A xₛ = bₛ for the `count` right-hand sides of `batch`, in parallel over samples, each with its own workspace. Results do not
/// depend on the number of threads.
///
/// Jacobi on small systems with a batch-major form (stencils) runs batch-major instead, where
/// [`batch_major_groups`] says it is faster ([`jacobi_batch_major`]); the results are the same
/// bits either way.
///
/// For small systems, call it from a thread of the rayon pool (e.g. inside `rayon::scope`)
/// when you can: the caller then works on the batch itself instead of sleeping until the pool
/// wakes it, which for 25 Jacobi solves on a 30² grid is a fifth of the time.
///
/// # Errors
/// [`prdp_core::Error::Length`] if `b` or `x` is not `count·n` long, else the first
/// sample's error in sample order.
///
/// # Example
/// ```
/// use prdp_core::{Boundary, Stencil};
/// use prdp_solvers::{Batch, BatchWorkspace, Budget, Method, SolveOptions, solve_batch};
/// let a = Stencil::<f32>::laplacian(&[30, 30], &[1.0 / 31.0, 1.0 / 31.0], Boundary::Dirichlet)?.affine(1.0, -1e-3);
/// let b = vec![1.0f32; 25 * 900];
/// let mut x = vec![0.0f32; 25 * 900];
/// let batch = Batch { b: &b, x: &mut x, count: 25 };
/// let reports = solve_batch(&Method::Jacobi, &a, batch, &Budget::new(100, 1e-5)?, &SolveOptions::default(), &mut BatchWorkspace::new())?;
/// assert!(reports.iter().all(|r| r.converged()));
/// # Ok::<(), prdp_solvers::SolverError>(())
/// ```
pub fn solve_batch<T: Real, A: LinearOperator<T> + ?Sized>(
    method: &Method,
    a: &A,
    batch: Batch<'_, T>,
    budget: &Budget,
    opts: &SolveOptions,
    bws: &mut BatchWorkspace<T>,
) -> Result<Vec<SolveReport>> {
    let (n, count) = (a.ncols(), batch.count);
    if *method == Method::Jacobi
        && batch_major_groups(n, count) > 0
        && a.lanes().is_some()
        && a.constant_diagonal().is_some()
    {
        let mut reports = vec![SolveReport::default(); count];
        jacobi_batch_major(a, batch, budget, opts, &mut bws.lanes, &mut reports)?;
        return Ok(reports);
    }
    solve_batch_with(method, |_| a, batch, budget, opts, bws)
}

/// As [`solve_batch`], but sample s has its own operator `op(s)` (state-dependent matrices such
/// as Burgers' upwind operator).
///
/// # Errors
/// As [`solve_batch`]; also if the operators do not all have the same size.
pub fn solve_batch_with<T: Real, A: LinearOperator<T>, F: Fn(usize) -> A + Sync>(
    method: &Method,
    op: F,
    batch: Batch<'_, T>,
    budget: &Budget,
    opts: &SolveOptions,
    bws: &mut BatchWorkspace<T>,
) -> Result<Vec<SolveReport>> {
    let Batch { b, x, count } = batch;
    if count == 0 {
        return Err(invalid("count", 0, "at least one sample").into());
    }
    let n = b.len() / count;
    check_len("batched right-hand sides (count * n)", count * n, b.len())?;
    check_len("batched solutions (count * n)", b.len(), x.len())?;
    let results: Vec<Result<SolveReport>> = x
        .par_chunks_mut(n.max(1))
        .zip(b.par_chunks(n.max(1)))
        .zip(bws.slots(count).par_iter_mut())
        .enumerate()
        .map(|(s, ((xs, bs), ws))| method.solve(&op(s), bs, xs, budget, opts, ws))
        .collect();
    results.into_iter().collect()
}
