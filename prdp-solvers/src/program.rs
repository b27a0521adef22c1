//! Iterative methods written as step programs, and the forward driver that runs them.
//!
//! Jacobi, steepest descent and CG are each a [`Program`]: a state vector (the solution
//! first), a `step` that advances it by one iteration and writes the per-iteration extras the
//! reverse pass needs, and the exact reverse of each step. The plain solve runs the steps
//! without recording; unrolled differentiation records states and extras (all of them, or
//! checkpoints it replays from) and runs the reverse steps. Both therefore execute the same
//! arithmetic, so the unrolled gradient is the gradient of exactly the program that ran.

use prdp_core::{Error, LinearOperator, Real, Result, check_finite, check_len, kernels};

use crate::cotangent::CotangentSink;
use crate::{Budget, SolveOptions, SolveReport, StopReason, Workspace};

/// One iterative method as a differentiable step program.
pub(crate) trait Program<T: Real>: Sync {
    /// Method name for errors.
    const NAME: &'static str;

    /// Length of the state (solution first, then method vectors and scalars).
    fn state_len(&self, n: usize) -> usize;

    /// Length of the per-step extras recorded for the reverse pass.
    fn extra_len(&self, n: usize) -> usize;

    /// Number of length-n scratch vectors `step` and the reverse steps need.
    const SCRATCH: usize;

    /// Whether the reverse pass produces a diagonal cotangent.
    fn uses_diagonal(&self) -> bool;

    /// Initialises the state for the initial guess `u0` (zero if `None`); returns ‖r₀‖² and the
    /// operator applications used.
    fn start<A: LinearOperator<T> + ?Sized>(
        &self,
        a: &A,
        b: &[T],
        u0: Option<&[T]>,
        state: &mut [T],
        scratch: &mut [&mut [T]],
    ) -> (T, usize);

    /// Advances the state by one iteration, writing this step's extras; returns the squared
    /// residual norm of the new iterate and the operator applications used.
    ///
    /// The norm may be skipped (`None`) when `norm` is false, i.e. when nothing reads it; a
    /// method whose iteration computes it anyway returns it regardless.
    ///
    /// # Errors
    /// [`Error::Breakdown`] on a zero or non-finite denominator.
    #[allow(clippy::too_many_arguments)]
    fn step<A: LinearOperator<T> + ?Sized>(
        &self,
        a: &A,
        b: &[T],
        k: usize,
        state: &mut [T],
        extra: &mut [T],
        scratch: &mut [&mut [T]],
        norm: bool,
    ) -> Result<(Option<T>, usize)>;

    /// Reverse of `step` k: turns the adjoint of state k+1 (in `adj`) into the adjoint of state
    /// k, accumulating into `bbar`, `diag_bar` (absent when the sink does not want the matrix
    /// cotangent, or the method has no diagonal term) and the matrix cotangent. Returns the
    /// operator applications used.
    #[allow(clippy::too_many_arguments)]
    fn reverse_step<A: LinearOperator<T> + ?Sized>(
        &self,
        a: &A,
        state: &[T],
        extra: &[T],
        next: &[T],
        adj: &mut [T],
        bbar: &mut [T],
        diag_bar: Option<&mut [T]>,
        sink: &mut dyn CotangentSink<T>,
        scratch: &mut [&mut [T]],
    ) -> usize;

    /// Reverse of `start`.
    #[allow(clippy::too_many_arguments)]
    fn reverse_start(
        &self,
        u0: Option<&[T]>,
        state: &[T],
        adj: &mut [T],
        bbar: &mut [T],
        diag_bar: Option<&mut [T]>,
        sink: &mut dyn CotangentSink<T>,
        scratch: &mut [&mut [T]],
    );
}

/// Where the forward driver keeps what the reverse pass needs.
pub(crate) trait Recorder<T> {
    /// Called with state k and a buffer for step k's extras, before step k runs; returns the
    /// extras buffer to write.
    fn before_step(&mut self, k: usize, state: &[T]) -> &mut [T];
    /// Called once with the final state.
    fn finish(&mut self, steps: usize, state: &[T]);
}

/// The size n of `solver`'s system matrix `a`, which must be square.
///
/// # Errors
/// [`Error::NotSquare`] naming the solver and the operator.
pub(crate) fn square<T: Real, A: LinearOperator<T> + ?Sized>(solver: &str, a: &A) -> Result<usize> {
    let n = a.ncols();
    if a.nrows() != n {
        return Err(Error::NotSquare {
            what: format!("{solver} system matrix ({})", a.describe()),
            rows: a.nrows(),
            cols: n,
        });
    }
    Ok(n)
}

/// Validates a square system A x = b and returns n and ‖b‖₂.
pub(crate) fn validate<T: Real, A: LinearOperator<T> + ?Sized>(
    solver: &str,
    a: &A,
    b: &[T],
    x: &[T],
    budget: &Budget,
    opts: &SolveOptions,
) -> Result<(usize, T)> {
    budget.validate()?;
    let n = square(solver, a)?;
    // Messages are only formatted on failure: validation runs on every solve.
    if b.len() != n {
        check_len(&format!("{solver} right-hand side b"), n, b.len())?;
    }
    if x.len() != n {
        check_len(&format!("{solver} solution x"), n, x.len())?;
    }
    if opts.warm_start && !kernels::dot(x, x).is_finite() {
        check_finite(&format!("{solver} initial guess x"), x)?;
    }
    // ‖b‖ is needed anyway; only a non-finite norm calls for a scan of the entries.
    let bnorm = kernels::nrm2(b);
    if !bnorm.is_finite() {
        check_finite(&format!("{solver} right-hand side b"), b)?;
        return Err(prdp_core::invalid(
            &format!("{solver} right-hand side b"),
            "a vector whose norm overflows",
            &format!("entries small enough that ‖b‖² fits in {}", T::NAME),
        ));
    }
    Ok((n, bnorm))
}

/// The report of a zero right-hand side: x = 0, converged, no work.
pub(crate) fn zero_rhs_report(x: &mut [impl Real], opts: &SolveOptions) -> SolveReport {
    x.fill(Real::of(0.0));
    SolveReport {
        iterations: 0,
        rel_residual: 0.0,
        stop: StopReason::Converged,
        matvecs: 0,
        history: opts.record_history.then(|| vec![0.0]),
    }
}

/// Runs `prog` under `budget`, recording into `rec` if given; writes the solution into `x`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run<T: Real, P: Program<T>, A: LinearOperator<T> + ?Sized>(
    prog: &P,
    a: &A,
    b: &[T],
    x: &mut [T],
    budget: &Budget,
    opts: &SolveOptions,
    ws: &mut Workspace<T>,
    mut rec: Option<&mut dyn Recorder<T>>,
) -> Result<SolveReport> {
    let (n, bnorm) = validate(P::NAME, a, b, x, budget, opts)?;
    if bnorm == T::zero() {
        if let Some(r) = rec {
            r.finish(0, &[]);
        }
        return Ok(zero_rhs_report(x, opts));
    }
    let slen = prog.state_len(n);
    let (mut vs, small) = ws.split::<6>(n, slen + prog.extra_len(n));
    let (state, extra_buf) = small.split_at_mut(slen);
    let scratch = &mut vs[..P::SCRATCH];
    let (res0, mut matvecs) = prog.start(a, b, opts.warm_start.then_some(&*x), state, scratch);
    let mut res2 = Some(res0);
    let mut history = opts
        .record_history
        .then(|| Vec::with_capacity(budget.max_iters + 1));
    let rtol = budget.rtol;
    // With no tolerance and no history only the last iterate's norm is read; a method that can
    // skip the others (Jacobi) does, so a non-finite iterate is then reported after the last
    // step.
    let every_norm = rtol > 0.0 || history.is_some();
    let mut k = 0;
    let (stop, res2) = loop {
        if let Some(r2) = res2 {
            let rel = r2.sqrt().as_f64() / bnorm.as_f64();
            if let Some(h) = history.as_mut() {
                h.push(rel);
            }
            if !rel.is_finite() {
                return Err(Error::Breakdown {
                    solver: P::NAME,
                    iteration: k,
                    reason: format!("the residual norm became {rel}"),
                });
            }
            if rel < rtol || r2 == T::zero() {
                break (StopReason::Converged, r2);
            }
        }
        if k == budget.max_iters {
            break (
                StopReason::BudgetSpent,
                res2.expect("the last step reports its residual norm"),
            );
        }
        let extra = match rec.as_deref_mut() {
            Some(r) => r.before_step(k, state),
            None => &mut *extra_buf,
        };
        let last = k + 1 == budget.max_iters;
        let (r2, mv) = prog.step(a, b, k, state, extra, scratch, every_norm || last)?;
        res2 = r2;
        matvecs += mv;
        k += 1;
    };
    if let Some(r) = rec {
        r.finish(k, state);
    }
    x.copy_from_slice(&state[..n]);
    Ok(SolveReport {
        iterations: k,
        rel_residual: res2.sqrt().as_f64() / bnorm.as_f64(),
        stop,
        matvecs,
        history,
    })
}
