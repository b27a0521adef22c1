//! Differentiable solves: u = P_K(A, b) forward, (b̄, Ā) backward.
//!
//! Two ways to differentiate an iterative solve (PRDP paper, section 2.1 and appendix C):
//!
//! * **Implicit**: the backward pass solves Aᵀλ = ū with the same method under its own budget
//!   (by default the primal's), and returns b̄ = λ and Ā = −λuᵀ. Only u is stored. At
//!   convergence this is the gradient of the exact solve.
//! * **Unrolled**: the exact gradient of the K-step program that ran (Jacobi, steepest descent,
//!   CG), by reverse-mode differentiation of every iteration. Ā arrives as one or two rank-one
//!   terms per iteration plus, for Jacobi, a diagonal term. The checkpointed variant stores
//!   every s-th state and recomputes the others, giving bit-identical gradients with O(√K)
//!   states.
//!
//! The matrix cotangent is handed to a [`CotangentSink`] term by term; the owner of A contracts
//! it into its parameters, so Ā is never materialised.

mod tape;

use prdp_core::{LinearOperator, Real, Transposed, check_finite, check_len, invalid};
use serde::{Deserialize, Serialize};

use crate::cotangent::CotangentSink;
use crate::error::Result;
use crate::method::{unrolled_unsupported, with_program};
use crate::program::{Adjoint, MAX_SCRATCH, Params, Program, Reversible, Step, StopRule, run};
use crate::{Budget, Method, SolveOptions, SolveReport, StopReason, Workspace};

pub use tape::Tape;

/// How the backward pass of a solve is computed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum DiffMode {
    /// Solve Aᵀλ = ū with the primal's method, under `adjoint_budget` (default: the primal's).
    Implicit {
        /// Budget of the adjoint solve; `None` uses the primal budget.
        #[serde(default)]
        adjoint_budget: Option<Budget>,
    },
    /// Reverse-mode through every stored iteration.
    Unrolled,
    /// Reverse-mode storing a state every `segment` iterations (default ⌈√K⌉) and recomputing
    /// the rest; the gradients equal [`DiffMode::Unrolled`]'s bit for bit.
    Checkpointed {
        /// Iterations between stored states.
        #[serde(default)]
        segment: Option<usize>,
    },
}

impl Default for DiffMode {
    fn default() -> Self {
        Self::Implicit {
            adjoint_budget: None,
        }
    }
}

/// A differentiable linear solve P_K: the method, the primal budget and the differentiation
/// mode.
///
/// # Example
/// ```
/// use prdp_core::{Boundary, Stencil};
/// use prdp_solvers::{Seeds, Budget, DiffMode, DiffSolver, DiscardCotangent, Method, Tape, Workspace};
/// let a = Stencil::<f64>::laplacian(&[30], &[1.0 / 31.0], Boundary::Dirichlet)?.affine(1.0, -1e-3);
/// let solver = DiffSolver::new(Method::Jacobi, Budget::fixed(10), DiffMode::Unrolled)?;
/// let (mut tape, mut ws) = (Tape::new(), Workspace::new());
/// let b = vec![1.0; 30];
/// let mut u = vec![0.0; 30];
/// solver.forward(&a, &b, &mut u, &mut tape, &mut ws)?;
/// // Gradient of L = sum(u) with respect to b.
/// let mut b_bar = vec![0.0; 30];
/// let seeds = Seeds { u_bar: &[1.0; 30], b_bar: &mut b_bar, sink: &mut DiscardCotangent };
/// solver.backward(&a, &b, &mut tape, seeds, &mut ws)?;
/// assert!(b_bar.iter().all(|g| *g > 0.0));
/// # Ok::<(), prdp_solvers::SolverError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiffSolver {
    /// The iterative method.
    pub method: Method,
    /// The primal budget (K, ε).
    pub budget: Budget,
    /// The differentiation mode.
    #[serde(default)]
    pub mode: DiffMode,
    /// Start from the contents of `u` instead of zero. The initial guess is treated as a
    /// constant: no gradient flows into it.
    #[serde(default)]
    pub warm_start: bool,
}

impl DiffSolver {
    /// A differentiable solve, validated.
    ///
    /// # Errors
    /// [`prdp_core::Error::InvalidArgument`] for an invalid budget, a zero GMRES restart, an
    /// unrolled mode with GMRES or BiCGStab, or a zero checkpoint segment.
    pub fn new(method: Method, budget: Budget, mode: DiffMode) -> Result<Self> {
        let s = Self {
            method,
            budget,
            mode,
            warm_start: false,
        };
        s.validate()?;
        Ok(s)
    }

    /// Checks the configuration (see [`DiffSolver::new`]).
    ///
    /// # Errors
    /// As [`DiffSolver::new`].
    pub fn validate(&self) -> Result<()> {
        self.method.validate()?;
        self.budget.validate()?;
        match self.mode {
            DiffMode::Implicit { adjoint_budget } => {
                adjoint_budget.map_or(Ok(()), |b| Ok(b.validate()?))
            }
            DiffMode::Unrolled | DiffMode::Checkpointed { .. } => {
                if matches!(self.method, Method::Gmres { .. } | Method::BiCgStab) {
                    return Err(unrolled_unsupported(&self.method));
                }
                if let DiffMode::Checkpointed { segment: Some(0) } = self.mode {
                    return Err(invalid(
                        "segment",
                        0,
                        "a checkpoint segment of at least 1 iteration",
                    )
                    .into());
                }
                Ok(())
            }
        }
    }

    /// The same solver with another primal budget (PRDP changes K between intervals).
    pub fn with_budget(mut self, budget: Budget) -> Self {
        self.budget = budget;
        self
    }

    /// The same solver starting from the caller's initial guess (see `warm_start`).
    pub fn with_warm_start(mut self, warm_start: bool) -> Self {
        self.warm_start = warm_start;
        self
    }

    /// Forward pass: solves A u = b, recording what `backward` needs into `tape`. The solve
    /// starts from zero (as in the paper) unless `warm_start` is set, in which case it starts
    /// from the contents of `u`.
    ///
    /// # Errors
    /// Those of the method (shapes, non-finite input, breakdown) and of [`DiffSolver::validate`].
    pub fn forward<T: Real, A: LinearOperator<T> + ?Sized>(
        &self,
        a: &A,
        b: &[T],
        u: &mut [T],
        tape: &mut Tape<T>,
        ws: &mut Workspace<T>,
    ) -> Result<SolveReport> {
        self.validate()?;
        let opts = SolveOptions {
            warm_start: self.warm_start,
            record_history: false,
        };
        tape.warm = self.warm_start;
        if self.warm_start {
            check_len("initial guess u", b.len(), u.len())?;
            tape.initial_guess.clear();
            tape.initial_guess.extend_from_slice(u);
        }
        let report = match self.mode {
            DiffMode::Implicit { .. } => {
                tape.reset(b.len(), 0, 0, 1);
                let r = self.method.solve(a, b, u, &self.budget, &opts, ws)?;
                tape.zero_rhs = r.iterations == 0 && u.iter().all(|v| *v == T::zero());
                r
            }
            DiffMode::Unrolled | DiffMode::Checkpointed { .. } => {
                let segment = self.segment();
                let budget = self.budget;
                with_program!(reversible, &self.method, a, ws, |prog, w| {
                    let n = b.len();
                    tape.reset(
                        n,
                        Program::<T>::state_len(&prog, n),
                        Program::<T>::extra_len(&prog, n),
                        segment,
                    );
                    let params = Params {
                        budget: &budget,
                        opts: &opts,
                    };
                    run(&prog, a, b, u, params, w, Some(tape))
                })?
            }
        };
        tape.solution.clear();
        tape.solution.extend_from_slice(u);
        tape.report = report.clone();
        Ok(report)
    }

    /// Backward pass: given ū = ∂L/∂u (`seeds.u_bar`), writes b̄ = ∂L/∂b into `seeds.b_bar`
    /// and sends the factored Ā = ∂L/∂A to `seeds.sink`. `a` and `b` must be the operator and
    /// right-hand side of the forward pass that filled `tape`. Returns the report of the adjoint work (adjoint solve, or the
    /// reverse sweep with its recomputations).
    ///
    /// # Errors
    /// Shape and finiteness errors for `u_bar`; those of the adjoint solve in implicit mode.
    pub fn backward<T: Real, A: LinearOperator<T> + ?Sized>(
        &self,
        a: &A,
        b: &[T],
        tape: &mut Tape<T>,
        seeds: Seeds<'_, T>,
        ws: &mut Workspace<T>,
    ) -> Result<SolveReport> {
        let Seeds { u_bar, b_bar, sink } = seeds;
        let n = tape.n;
        check_len("adjoint seed u_bar", n, u_bar.len())?;
        check_len("right-hand side cotangent b_bar", n, b_bar.len())?;
        check_len("right-hand side b of the forward pass", n, b.len())?;
        check_finite("adjoint seed u_bar", u_bar)?;
        match self.mode {
            DiffMode::Implicit { adjoint_budget } => {
                let budget = adjoint_budget.unwrap_or(self.budget);
                let r = self.method.solve(
                    &Transposed(a),
                    u_bar,
                    b_bar,
                    &budget,
                    &SolveOptions::default(),
                    ws,
                )?;
                if !tape.zero_rhs {
                    sink.rank_one(b_bar, &tape.solution);
                }
                Ok(r)
            }
            DiffMode::Unrolled | DiffMode::Checkpointed { .. } => {
                b_bar.fill(T::zero());
                if tape.zero_rhs {
                    return Ok(SolveReport::default());
                }
                let seeds = Seeds { u_bar, b_bar, sink };
                with_program!(reversible, &self.method, a, ws, |prog, w| reverse(
                    &prog, a, b, tape, seeds, w
                ))
            }
        }
    }

    fn segment(&self) -> usize {
        match self.mode {
            DiffMode::Checkpointed { segment: Some(s) } => s,
            DiffMode::Checkpointed { segment: None } => {
                ((self.budget.max_iters as f64).sqrt().ceil() as usize).max(1)
            }
            _ => 1,
        }
    }
}

/// What [`DiffSolver::backward`] takes and gives: the seed ū = ∂L/∂u and where the
/// cotangents of the solve's inputs go (b̄ into a slice, the factored Ā to a sink).
pub struct Seeds<'a, T> {
    /// ū = ∂L/∂u, one entry per unknown.
    pub u_bar: &'a [T],
    /// Receives b̄ = ∂L/∂b (overwritten).
    pub b_bar: &'a mut [T],
    /// Receives Ā = ∂L/∂A term by term ([`DiscardCotangent`](crate::DiscardCotangent) if A is
    /// not differentiated).
    pub sink: &'a mut dyn CotangentSink<T>,
}

/// The reverse sweep over a recorded (or checkpointed) run of `prog`.
fn reverse<T: Real, P: Reversible<T>, A: LinearOperator<T> + ?Sized>(
    prog: &P,
    a: &A,
    b: &[T],
    tape: &mut Tape<T>,
    seeds: Seeds<'_, T>,
    ws: &mut Workspace<T>,
) -> Result<SolveReport> {
    let Seeds { u_bar, b_bar, sink } = seeds;
    let buf = &mut tape.rev;
    let n = tape.n;
    let (slen, elen, steps, seg) = (tape.state_len, tape.extra_len, tape.steps, tape.segment);
    let (mut vs, _) = ws.split::<MAX_SCRATCH>(P::SCRATCH, n, 0);
    let scratch = &mut vs[..P::SCRATCH];
    buf.adjoint.clear();
    buf.adjoint.resize(slen, T::zero());
    buf.adjoint[..n].copy_from_slice(u_bar);
    buf.diag_bar.clear();
    let diag = prog.uses_diagonal() && sink.wants_matrix();
    if diag {
        buf.diag_bar.resize(n, T::zero());
    }
    let mut adj = Adjoint {
        state: &mut buf.adjoint,
        bbar: b_bar,
        diag_bar: diag.then_some(&mut buf.diag_bar[..]),
        sink,
    };
    let mut matvecs = 0;
    if seg == 1 {
        for k in (0..steps).rev() {
            matvecs += prog.reverse_step(
                a,
                &tape.states[k * slen..(k + 1) * slen],
                &tape.extras[k * elen..(k + 1) * elen],
                &tape.states[(k + 1) * slen..(k + 2) * slen],
                &mut adj,
                scratch,
            );
        }
    } else {
        let segments = steps.div_ceil(seg);
        // Replayed steps run without a stopping test: the recorded run took every one of them.
        let stop = StopRule {
            rtol: 0.0,
            bnorm: T::one(),
        };
        for c in (0..segments).rev() {
            let (start, end) = (c * seg, ((c + 1) * seg).min(steps));
            let len = end - start;
            buf.states.clear();
            buf.states
                .extend_from_slice(&tape.states[c * slen..(c + 1) * slen]);
            buf.states.resize((len + 1) * slen, T::zero());
            buf.extras.clear();
            buf.extras.resize(len * elen, T::zero());
            for k in start..end {
                let i = k - start;
                let (done, ahead) = buf.states.split_at_mut((i + 1) * slen);
                let next = &mut ahead[..slen];
                next.copy_from_slice(&done[i * slen..]);
                let step = Step {
                    a,
                    b,
                    k,
                    norm: false,
                    stop,
                };
                let (_, mv) = prog.step(
                    &step,
                    next,
                    &mut buf.extras[i * elen..(i + 1) * elen],
                    scratch,
                )?;
                matvecs += mv;
            }
            for i in (0..len).rev() {
                matvecs += prog.reverse_step(
                    a,
                    &buf.states[i * slen..(i + 1) * slen],
                    &buf.extras[i * elen..(i + 1) * elen],
                    &buf.states[(i + 1) * slen..(i + 2) * slen],
                    &mut adj,
                    scratch,
                );
            }
        }
    }
    prog.reverse_start(
        tape.warm.then_some(&tape.initial_guess[..]),
        &tape.states[..slen],
        &mut adj,
        scratch,
    );
    if diag {
        sink.diagonal(&buf.diag_bar);
    }
    Ok(SolveReport {
        iterations: steps,
        rel_residual: 0.0,
        stop: StopReason::BudgetSpent,
        matvecs,
        history: None,
    })
}
