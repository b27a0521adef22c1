//! K_ε: the iteration count at which an iterative solver counts as converged.

use prdp_core::Real;
use prdp_solvers::{Budget, Method, SolveOptions, Workspace};
use rayon::prelude::*;

use crate::error::check_len;
use crate::{Assembly, Result, bad_param};

/// The mean relative residual after each iteration over a set of inputs, and the first
/// iteration count at which it falls below the tolerance.
#[derive(Debug, Clone, PartialEq)]
pub struct KEpsilon {
    /// K_ε: the first K whose mean relative residual is below the tolerance (`None` if none up
    /// to the maximum tried).
    pub k: Option<usize>,
    /// Mean over the inputs of ‖β − Λu_K‖/‖β‖ for K = 0, 1, ..., max_k (zero initial guess).
    pub mean_rel_residual: Vec<f64>,
}

/// Computes K_ε for `assembly` solved by `method`: the first K whose mean relative residual
/// over the `count` inputs `g` (sample-major) falls below `rtol`, starting from a zero initial
/// guess and trying up to `max_k` iterations (GMRES: restart cycles). Residuals are computed in
/// the scalar type `T`, so `T = f32` gives the paper's single-precision K_ε.
///
/// The paper's convention (and the reference code's, see `shared/notes/prdp-reference.md`) is
/// `rtol = 1e-5` over the training states that enter P_K (the right-hand side u¹ of the second
/// step in the emulator experiments).
///
/// # Errors
/// Wrong lengths, non-finite inputs, solver errors (e.g. Jacobi on a zero diagonal).
///
/// # Example
/// ```
/// use prdp_pde::{Heat, HeatConfig, k_epsilon};
/// use prdp_solvers::Method;
/// let heat = Heat::<f32>::new(HeatConfig::paper(1))?;
/// let g: Vec<f32> = (0..30).map(|i| (i as f32 * 0.7).sin()).collect();
/// let ke = k_epsilon(&heat, Method::Jacobi, &g, 1, 100, 1e-5)?;
/// assert!(ke.k.is_some());
/// # Ok::<(), prdp_pde::PdeError>(())
/// ```
pub fn k_epsilon<T: Real, A: Assembly<T>>(
    assembly: &A,
    method: Method,
    g: &[T],
    count: usize,
    max_k: usize,
    rtol: f64,
) -> Result<KEpsilon> {
    if count == 0 {
        return Err(bad_param("count", 0, ">= 1 sample"));
    }
    let ni = assembly.input_len();
    check_len("inputs g", count * ni, g.len(), || {
        format!("{count} sample(s) of {ni} values")
    })?;
    let budget = Budget::fixed(max_k);
    let opts = SolveOptions {
        warm_start: false,
        record_history: true,
    };
    let curves: Vec<Result<Vec<f64>>> = g
        .par_chunks(ni)
        .map(|gs| {
            assembly.check_input("input g", gs)?;
            let n = assembly.state_len();
            let mut b = vec![T::zero(); n];
            assembly.rhs(gs, &mut b);
            let mut scratch = vec![T::zero(); assembly.operator_scratch_len()];
            let op = assembly.operator(gs, &mut scratch);
            let mut x = vec![T::zero(); n];
            let r = method.solve(&op, &b, &mut x, &budget, &opts, &mut Workspace::new())?;
            let mut h = r.history.unwrap_or_default();
            let last = h.last().copied().unwrap_or(0.0);
            h.resize(max_k + 1, last);
            Ok(h)
        })
        .collect();
    let mut mean = vec![0.0; max_k + 1];
    for c in curves {
        for (m, v) in mean.iter_mut().zip(c?) {
            *m += v / count as f64;
        }
    }
    let k = mean.iter().position(|&r| r < rtol);
    Ok(KEpsilon {
        k,
        mean_rel_residual: mean,
    })
}
