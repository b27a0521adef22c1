//! Iterative methods written as step programs, and the forward driver that runs them.
//!
//! Every method (Jacobi, steepest descent, CG, GMRES, BiCGStab) is a [`Program`]: a state (the
//! solution first, then what one iteration carries to the next), a `start` from the initial
//! guess and a `step` that advances the state by one iteration, writing its per-iteration
//! extras. [`run`] is the one loop that applies the budget: the meaning of K, PRDP's knob, and
//! of the stopping test ([`StopRule`]) is written here once. Jacobi, steepest descent and CG are
//! also [`Reversible`]: each step has an exact reverse. Unrolled differentiation records states
//! and extras (all of them, or checkpoints it replays from) through the same `run` and runs the
//! reverse steps, so the unrolled gradient is the gradient of exactly the program that ran.

use prdp_core::{Error, LinearOperator, Real, check_finite, check_len, kernels};

use crate::cotangent::CotangentSink;
use crate::error::{Result, SolverError};
use crate::{Budget, SolveOptions, SolveReport, StopReason, Workspace};

/// The most scratch vectors any program asks for.
pub(crate) const MAX_SCRATCH: usize = 2;

/// The stopping test of a solve: relative residual ‖r‖/‖b‖ below `rtol`, or r = 0.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StopRule<T> {
    /// Relative residual tolerance ε (0: never by tolerance).
    pub(crate) rtol: f64,
    /// ‖b‖₂.
    pub(crate) bnorm: T,
}

impl<T: Real> StopRule<T> {
    /// The relative residual of an iterate whose squared residual norm is `res2`.
    pub(crate) fn relative(&self, res2: T) -> f64 {
        res2.sqrt().as_f64() / self.bnorm.as_f64()
    }

    /// Whether an iterate with squared residual norm `res2` meets the test.
    pub(crate) fn met(&self, res2: T) -> bool {
        self.relative(res2) < self.rtol || res2 == T::zero()
    }
}

/// What one forward step reads besides its buffers.
pub(crate) struct Step<'a, T, A: ?Sized> {
    /// The system matrix.
    pub(crate) a: &'a A,
    /// The right-hand side.
    pub(crate) b: &'a [T],
    /// Index of the step (0 for the first).
    pub(crate) k: usize,
    /// Whether the caller reads the new residual norm; a method may skip it (`None`) when not.
    pub(crate) norm: bool,
    /// The solve's stopping test, for methods that can stop inside an iteration (BiCGStab's
    /// half step).
    pub(crate) stop: StopRule<T>,
}

/// The adjoints a reverse step updates: of the state (`state`, length `state_len`), of the
/// right-hand side (`bbar`), of the diagonal (`diag_bar`, absent when the sink does not want
/// the matrix cotangent or the method has no diagonal term), and the matrix cotangent's sink.
pub(crate) struct Adjoint<'a, T> {
    pub(crate) state: &'a mut [T],
    pub(crate) bbar: &'a mut [T],
    pub(crate) diag_bar: Option<&'a mut [T]>,
    pub(crate) sink: &'a mut dyn CotangentSink<T>,
}

/// One iterative method as a step program.
pub(crate) trait Program<T: Real>: Sync {
    /// Method name for errors.
    const NAME: &'static str;

    /// Number of length-n scratch vectors (at most `MAX_SCRATCH`) `step` and the reverse steps
    /// need; their contents do not survive a step.
    const SCRATCH: usize;

    /// Length of the state (solution first, then what a step carries to the next).
    fn state_len(&self, n: usize) -> usize;

    /// Length of the per-step extras a step writes (what the reverse pass needs, or a forward
    /// method's per-iteration work space).
    fn extra_len(&self, n: usize) -> usize;

    /// Checks the method's own parameters before a solve.
    ///
    /// # Errors
    /// [`Error::InvalidArgument`] naming the parameter.
    fn validate(&self) -> Result<()> {
        Ok(())
    }

    /// Initialises the state for the initial guess `u0` (zero if `None`); returns ‖r₀‖² and the
    /// operator applications used.
    fn start<A: LinearOperator<T> + ?Sized>(
        &self,
        a: &A,
        b: &[T],
        u0: Option<&[T]>,
        state: &mut [T],
    ) -> (T, usize);

    /// Advances the state by one iteration, writing this step's extras; returns the squared
    /// residual norm of the new iterate (or `None` where `step.norm` allows skipping it) and
    /// the operator applications used.
    ///
    /// # Errors
    /// [`SolverError::Breakdown`](crate::SolverError::Breakdown) on a zero or non-finite denominator.
    fn step<A: LinearOperator<T> + ?Sized>(
        &self,
        step: &Step<'_, T, A>,
        state: &mut [T],
        extra: &mut [T],
        scratch: &mut [&mut [T]],
    ) -> Result<(Option<T>, usize)>;
}

/// A program whose steps have exact reverses (Jacobi, steepest descent, CG).
pub(crate) trait Reversible<T: Real>: Program<T> {
    /// Whether the reverse pass produces a diagonal cotangent.
    fn uses_diagonal(&self) -> bool;

    /// Reverse of a step: turns the adjoint of the step's output state `next` (in
    /// `adj.state`) into the adjoint of its input `state`, accumulating into `adj.bbar`,
    /// `adj.diag_bar` and the matrix cotangent. Returns the operator applications used.
    fn reverse_step<A: LinearOperator<T> + ?Sized>(
        &self,
        a: &A,
        state: &[T],
        extra: &[T],
        next: &[T],
        adj: &mut Adjoint<'_, T>,
        scratch: &mut [&mut [T]],
    ) -> usize;

    /// Reverse of `start` from the initial guess `u0` (zero if `None`).
    fn reverse_start(
        &self,
        u0: Option<&[T]>,
        state: &[T],
        adj: &mut Adjoint<'_, T>,
        scratch: &mut [&mut [T]],
    );
}

/// The start every method shares: x ← u0 and r ← b − A x (one operator application), or from a
/// zero guess x ← 0 and r ← b (none). Returns ‖r‖² as the residual computed it (`None` from a
/// zero guess, where it is ‖b‖²) and the operator applications used.
pub(crate) fn initial_residual<T: Real, A: LinearOperator<T> + ?Sized>(
    a: &A,
    b: &[T],
    u0: Option<&[T]>,
    x: &mut [T],
    r: &mut [T],
) -> (Option<T>, usize) {
    match u0 {
        Some(u0) => {
            x.copy_from_slice(u0);
            (Some(a.residual(x, b, r)), 1)
        }
        None => {
            x.fill(T::zero());
            r.copy_from_slice(b);
            (None, 0)
        }
    }
}

/// The settings of one solve: its budget and options.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Params<'a> {
    pub(crate) budget: &'a Budget,
    pub(crate) opts: &'a SolveOptions,
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
        }
        .into());
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
        )
        .into());
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

/// Runs `prog` under `params`, recording into `rec` if given; writes the solution into `x`.
pub(crate) fn run<T: Real, P: Program<T>, A: LinearOperator<T> + ?Sized>(
    prog: &P,
    a: &A,
    b: &[T],
    x: &mut [T],
    params: Params<'_>,
    ws: &mut Workspace<T>,
    mut rec: Option<&mut dyn Recorder<T>>,
) -> Result<SolveReport> {
    let Params { budget, opts } = params;
    prog.validate()?;
    let (n, bnorm) = validate(P::NAME, a, b, x, budget, opts)?;
    if bnorm == T::zero() {
        if let Some(r) = rec {
            r.finish(0, &[]);
        }
        return Ok(zero_rhs_report(x, opts));
    }
    let slen = prog.state_len(n);
    let (mut vs, small) = ws.split::<MAX_SCRATCH>(P::SCRATCH, n, slen + prog.extra_len(n));
    let (state, extra_buf) = small.split_at_mut(slen);
    let scratch = &mut vs[..P::SCRATCH];
    let (res0, mut matvecs) = prog.start(a, b, opts.warm_start.then_some(&*x), state);
    let mut res2 = Some(res0);
    let mut history = opts
        .record_history
        .then(|| Vec::with_capacity(budget.max_iters + 1));
    let stop_rule = StopRule {
        rtol: budget.rtol,
        bnorm,
    };
    // With no tolerance and no history only the last iterate's norm is read; a method that can
    // skip the others (Jacobi) does, so a non-finite iterate is then reported after the last
    // step.
    let every_norm = budget.rtol > 0.0 || history.is_some();
    let mut k = 0;
    let (stop, res2) = loop {
        if let Some(r2) = res2 {
            let rel = stop_rule.relative(r2);
            if let Some(h) = history.as_mut() {
                h.push(rel);
            }
            if !rel.is_finite() {
                return Err(SolverError::Breakdown {
                    solver: P::NAME,
                    iteration: k,
                    reason: format!("the residual norm became {rel}"),
                });
            }
            if stop_rule.met(r2) {
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
        let step = Step {
            a,
            b,
            k,
            norm: every_norm || k + 1 == budget.max_iters,
            stop: stop_rule,
        };
        let (r2, mv) = prog.step(&step, state, extra, scratch)?;
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
        rel_residual: stop_rule.relative(res2),
        stop,
        matvecs,
        history,
    })
}
