//! Many independent right-hand sides (a minibatch) solved in parallel.

use prdp_core::{LinearOperator, Real, check_len, invalid};
use rayon::prelude::*;

use crate::error::Result;
use crate::{
    Budget, LaneWorkspace, Method, SolveOptions, SolveReport, Workspace, batch_major_groups,
    jacobi_batch_major,
};

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

/// Solves A xₛ = bₛ for `count` right-hand sides stored sample-major (sample s is
/// `b[s·n..(s+1)·n]`), in parallel over samples, each with its own workspace. Results do not
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
/// use prdp_solvers::{BatchWorkspace, Budget, Method, SolveOptions, solve_batch};
/// let a = Stencil::<f32>::laplacian(&[30, 30], &[1.0 / 31.0, 1.0 / 31.0], Boundary::Dirichlet)?.affine(1.0, -1e-3);
/// let b = vec![1.0f32; 25 * 900];
/// let mut x = vec![0.0f32; 25 * 900];
/// let reports = solve_batch(&Method::Jacobi, &a, &b, &mut x, 25, &Budget::new(100, 1e-5)?, &SolveOptions::default(), &mut BatchWorkspace::new())?;
/// assert!(reports.iter().all(|r| r.converged()));
/// # Ok::<(), prdp_solvers::SolverError>(())
/// ```
#[allow(clippy::too_many_arguments)]
pub fn solve_batch<T: Real, A: LinearOperator<T> + ?Sized>(
    method: &Method,
    a: &A,
    b: &[T],
    x: &mut [T],
    count: usize,
    budget: &Budget,
    opts: &SolveOptions,
    bws: &mut BatchWorkspace<T>,
) -> Result<Vec<SolveReport>> {
    let n = a.ncols();
    if *method == Method::Jacobi
        && batch_major_groups(n, count) > 0
        && a.lanes().is_some()
        && a.constant_diagonal().is_some()
    {
        let mut reports = vec![SolveReport::default(); count];
        jacobi_batch_major(a, b, x, count, budget, opts, &mut bws.lanes, &mut reports)?;
        return Ok(reports);
    }
    solve_batch_with(method, |_| a, b, x, count, budget, opts, bws)
}

/// As [`solve_batch`], but sample s has its own operator `op(s)` (state-dependent matrices such
/// as Burgers' upwind operator).
///
/// # Errors
/// As [`solve_batch`]; also if the operators do not all have the same size.
#[allow(clippy::too_many_arguments)]
pub fn solve_batch_with<T: Real, A: LinearOperator<T>, F: Fn(usize) -> A + Sync>(
    method: &Method,
    op: F,
    b: &[T],
    x: &mut [T],
    count: usize,
    budget: &Budget,
    opts: &SolveOptions,
    bws: &mut BatchWorkspace<T>,
) -> Result<Vec<SolveReport>> {
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
