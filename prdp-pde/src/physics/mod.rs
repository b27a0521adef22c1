//! The differentiable physics step P_K: an assembly plus a differentiable solver, batched.

mod batch_major;

use prdp_core::Real;
use prdp_solvers::{
    Budget, Counters, DiffMode, DiffSolver, Seeds, SolveOptions, SolveReport, Tape, Workspace,
};
use rayon::prelude::*;

use crate::error::check_len;
use crate::{Assembly, PdeError, Result, bad_param};

/// Per-sample buffers, reused across calls.
#[derive(Debug, Default)]
struct Slot<T> {
    g: Vec<T>,
    b: Vec<T>,
    b_bar: Vec<T>,
    u_bar: Vec<T>,
    op_scratch: Vec<T>,
    vjp_scratch: Vec<T>,
    tape: Tape<T>,
    ws: Workspace<T>,
    report: SolveReport,
    counters: Counters,
    error: Option<PdeError>,
}

impl<T: Real> Slot<T> {
    fn reserve<A: Assembly<T>>(&mut self, a: &A) {
        let fit = |v: &mut Vec<T>, len: usize| {
            if v.len() != len {
                v.resize(len, T::zero());
            }
        };
        fit(&mut self.g, a.input_len());
        fit(&mut self.b, a.state_len());
        fit(&mut self.b_bar, a.state_len());
        fit(&mut self.u_bar, a.state_len());
        fit(&mut self.op_scratch, a.operator_scratch_len());
        fit(&mut self.vjp_scratch, a.vjp_scratch_len());
    }
}

/// The slots of one differentiable call site (one "stage" of a compute graph).
#[derive(Debug, Default)]
struct Stage<T> {
    slots: Vec<Slot<T>>,
    count: usize,
    ready: bool,
    /// Whether the last forward pass took the batch-major path (its VJP takes it too).
    batch_major: bool,
    major: batch_major::BatchMajor<T>,
}

/// The differentiable physics operator P_K: g ↦ u = Λ(g)⁻¹β(g) computed by an iterative solver
/// under a [`Budget`] (K iterations, tolerance ε), with a vector–Jacobian product in the
/// solver's [`DiffMode`] (implicit, with its own adjoint budget, or unrolled), batched over
/// samples with rayon.
///
/// Each sample has its own workspace and tape, kept inside and reused: after the first call
/// with a given batch size nothing is allocated. Batches are sample-major (`g` holds
/// `count·input_len` values, sample s at `g[s·input_len..]`; likewise `u`). Results do not
/// depend on the number of threads. A batch of small systems that share a constant operator
/// (heat, Poisson) under Jacobi in implicit mode is instead solved batch-major, as one sweep
/// over the interleaved batch on the calling thread, with the same bits
/// ([`Physics::ran_batch_major`] says which path ran).
///
/// A compute graph that calls P_K more than once before backpropagating (backpropagation
/// through time, the Navier–Stokes corrector) uses one *stage* per call:
/// [`Physics::forward_batch_at`] and [`Physics::vjp_batch_at`]; [`Physics::forward_batch`] and
/// [`Physics::vjp_batch`] are stage 0.
///
/// # Example
/// ```
/// use prdp_pde::{Assembly, Heat, HeatConfig, Physics};
/// use prdp_solvers::{Budget, DiffMode, DiffSolver, Method};
///
/// // The heat 1D physics of the paper with K = 10 Jacobi iterations, implicit VJP.
/// let solver = DiffSolver::new(Method::Jacobi, Budget::fixed(10), DiffMode::Implicit { adjoint_budget: None })?;
/// let mut p = Physics::new(Heat::<f32>::new(HeatConfig::paper(1))?, solver)?;
/// let g = vec![1.0f32; 2 * 30];
/// let mut u = vec![0.0f32; 2 * 30];
/// let counters = p.forward_batch(&g, &mut u, 2)?;
/// assert_eq!(counters.primal_iters, 20);
/// let mut g_bar = vec![0.0f32; 2 * 30];
/// p.vjp_batch(&u, &mut g_bar)?;
/// # Ok::<(), prdp_pde::PdeError>(())
/// ```
///
/// # Reference
/// PRDP paper, section 2 and appendix C–D (eq. 18): P_K and its implicit and unrolled VJPs.
#[derive(Debug)]
pub struct Physics<T, A> {
    assembly: A,
    solver: DiffSolver,
    stages: Vec<Stage<T>>,
    rollout_slots: Vec<Slot<T>>,
}

impl<T: Real, A: Assembly<T>> Physics<T, A> {
    /// P_K for `assembly` solved by `solver`.
    ///
    /// # Errors
    /// An invalid solver configuration.
    pub fn new(assembly: A, solver: DiffSolver) -> Result<Self> {
        solver.validate()?;
        Ok(Self {
            assembly,
            solver,
            stages: Vec::new(),
            rollout_slots: Vec::new(),
        })
    }

    /// The assembly.
    pub fn assembly(&self) -> &A {
        &self.assembly
    }

    /// The differentiable solver (method, budget, mode, warm start).
    pub fn solver(&self) -> &DiffSolver {
        &self.solver
    }

    /// The primal budget.
    pub fn budget(&self) -> Budget {
        self.solver.budget
    }

    /// Replaces the primal budget (PRDP changes K between intervals). In implicit mode without
    /// an explicit adjoint budget, the adjoint solve follows it.
    ///
    /// # Errors
    /// An invalid budget.
    pub fn set_budget(&mut self, budget: Budget) -> Result<()> {
        budget.validate()?;
        self.solver.budget = budget;
        Ok(())
    }

    /// Sets K, the primal budget's iteration count, keeping its tolerance (PRDP changes K between
    /// intervals; the tolerance is the configuration's).
    pub fn set_max_iters(&mut self, k: usize) {
        self.solver.budget.max_iters = k;
    }

    /// Sets the adjoint budget of implicit mode (`None`: the primal budget).
    ///
    /// # Errors
    /// [`PdeError::InvalidArgument`] if the mode is not implicit; an invalid budget.
    pub fn set_adjoint_budget(&mut self, budget: Option<Budget>) -> Result<()> {
        match &mut self.solver.mode {
            DiffMode::Implicit { adjoint_budget } => {
                if let Some(b) = budget {
                    b.validate()?;
                }
                *adjoint_budget = budget;
                Ok(())
            }
            other => Err(bad_param(
                "mode",
                format!("{other:?}"),
                "implicit to set an adjoint budget",
            )),
        }
    }

    /// Replaces the whole solver configuration. A VJP then needs a new forward pass.
    ///
    /// # Errors
    /// An invalid configuration.
    pub fn set_solver(&mut self, solver: DiffSolver) -> Result<()> {
        solver.validate()?;
        self.solver = solver;
        // A tape recorded for another method or mode cannot be differentiated by this one.
        for st in &mut self.stages {
            st.ready = false;
        }
        Ok(())
    }

    fn check_batch(&self, what: &str, per: usize, got: usize, count: usize) -> Result<()> {
        if count == 0 {
            return Err(bad_param("count", 0, ">= 1 sample"));
        }
        check_len(what, count * per, got, || {
            format!(
                "{count} sample(s) of {per} values: {}",
                self.assembly.describe()
            )
        })
    }

    /// Mean relative residual ‖Λu − β‖/‖β‖ of the last successful forward pass of `stage`
    /// over its samples (`None` before one).
    pub fn mean_rel_residual(&self, stage: usize) -> Option<f64> {
        let st = self.stages.get(stage).filter(|s| s.ready)?;
        let slots = &st.slots[..st.count];
        Some(slots.iter().map(|s| s.report.rel_residual).sum::<f64>() / slots.len() as f64)
    }

    /// Whether the last successful forward pass of `stage` solved its batch batch-major (one
    /// lane-interleaved Jacobi sweep over all samples, chosen for small systems with a constant
    /// operator in implicit mode) rather than sample by sample; `None` before one. Both give the
    /// same bits; this says which ran.
    pub fn ran_batch_major(&self, stage: usize) -> Option<bool> {
        self.stages
            .get(stage)
            .filter(|s| s.ready)
            .map(|s| s.batch_major)
    }

    /// Forward pass of stage 0: u = P_K(g) for `count` samples. If the solver warm-starts, the
    /// initial guess is the content of `u`, else zero.
    ///
    /// # Errors
    /// [`PdeError::Length`] for wrong buffer lengths, a non-finite input, solver errors (the
    /// first failing sample's, in sample order).
    pub fn forward_batch(&mut self, g: &[T], u: &mut [T], count: usize) -> Result<Counters> {
        self.forward_batch_at(0, g, u, count)
    }

    /// VJP of stage 0's last forward pass: writes ḡ = (∂u/∂g)ᵀū into `g_bar` (overwriting it).
    ///
    /// # Errors
    /// [`PdeError::Order`] before any forward pass; wrong lengths; a non-finite ū; solver
    /// errors of the adjoint solve.
    pub fn vjp_batch(&mut self, u_bar: &[T], g_bar: &mut [T]) -> Result<Counters> {
        self.vjp_batch_at(0, u_bar, g_bar)
    }

    /// As [`Physics::forward_batch`] for stage `stage` (created on first use).
    ///
    /// # Errors
    /// As [`Physics::forward_batch`].
    pub fn forward_batch_at(
        &mut self,
        stage: usize,
        g: &[T],
        u: &mut [T],
        count: usize,
    ) -> Result<Counters> {
        let (ni, n) = (self.assembly.input_len(), self.assembly.state_len());
        self.check_batch("input g", ni, g.len(), count)?;
        self.check_batch("state u", n, u.len(), count)?;
        if self.stages.len() <= stage {
            self.stages.resize_with(stage + 1, Stage::default);
        }
        let (asm, solver) = (&self.assembly, &self.solver);
        let st = &mut self.stages[stage];
        st.ready = false;
        if st.slots.len() < count {
            st.slots.resize_with(count, Slot::default);
        }
        st.slots[0].reserve(asm);
        st.batch_major = batch_major::chosen(asm, solver, count, &mut st.slots[0]);
        if st.batch_major {
            for slot in &mut st.slots[1..count] {
                slot.reserve(asm);
            }
            batch_major::forward(asm, solver, &mut st.major, &mut st.slots[..count], g, u);
        } else {
            Self::forward_per_sample(asm, solver, &mut st.slots[..count], g, u);
        }
        let counters = collect(&mut st.slots[..count])?;
        st.count = count;
        st.ready = true;
        Ok(counters)
    }

    /// The forward pass sample by sample over the thread pool.
    fn forward_per_sample(
        asm: &A,
        solver: &DiffSolver,
        slots: &mut [Slot<T>],
        g: &[T],
        u: &mut [T],
    ) {
        let (ni, n) = (asm.input_len(), asm.state_len());
        slots
            .par_iter_mut()
            .zip(g.par_chunks(ni))
            .zip(u.par_chunks_mut(n))
            .enumerate()
            .for_each(|(s, ((slot, gs), us))| {
                slot.reserve(asm);
                let r = forward_one(asm, solver, s, slot, gs, us);
                finish(slot, r, true);
            });
    }

    /// As [`Physics::vjp_batch`] for stage `stage`.
    ///
    /// # Errors
    /// As [`Physics::vjp_batch`].
    pub fn vjp_batch_at(&mut self, stage: usize, u_bar: &[T], g_bar: &mut [T]) -> Result<Counters> {
        let ready = self.stages.get(stage).filter(|s| s.ready).map(|s| s.count);
        let Some(count) = ready else {
            return Err(PdeError::Order(format!(
                "vjp_batch of stage {stage} needs a successful forward_batch of that stage first"
            )));
        };
        let (ni, n) = (self.assembly.input_len(), self.assembly.state_len());
        self.check_batch("cotangent u_bar", n, u_bar.len(), count)?;
        self.check_batch("cotangent g_bar", ni, g_bar.len(), count)?;
        let (asm, solver) = (&self.assembly, &self.solver);
        let st = &mut self.stages[stage];
        let slots = &mut st.slots[..count];
        if st.batch_major {
            batch_major::vjp(asm, solver, &mut st.major, slots, u_bar, g_bar);
        } else {
            slots
                .par_iter_mut()
                .zip(u_bar.par_chunks(n))
                .zip(g_bar.par_chunks_mut(ni))
                .enumerate()
                .for_each(|(s, ((slot, ub), gb))| {
                    let r = vjp_one(asm, solver, s, slot, ub, gb);
                    finish(slot, r, false);
                });
        }
        collect(slots)
    }

    /// Rolls out `steps` steps of P_K (not differentiable) from `count` initial states `g0` of a
    /// time stepper (input = previous state), writing the trajectories to `out` as
    /// `[count, steps + 1, n]` (the initial state first). With a warm-starting solver each step
    /// starts from the previous state.
    ///
    /// # Errors
    /// [`PdeError::InvalidArgument`] if the assembly is not a time stepper; wrong lengths,
    /// non-finite states, solver errors.
    pub fn rollout(
        &mut self,
        g0: &[T],
        steps: usize,
        count: usize,
        out: &mut [T],
    ) -> Result<Counters> {
        let n = self.assembly.state_len();
        if self.assembly.input_len() != n {
            return Err(bad_param(
                "assembly",
                self.assembly.describe(),
                "a time stepper (input = previous state) to roll out",
            ));
        }
        self.check_batch("initial states g0", n, g0.len(), count)?;
        self.check_batch("trajectory buffer", (steps + 1) * n, out.len(), count)?;
        if self.rollout_slots.len() < count {
            self.rollout_slots.resize_with(count, Slot::default);
        }
        let (asm, solver) = (&self.assembly, &self.solver);
        self.rollout_slots[..count]
            .par_iter_mut()
            .zip(g0.par_chunks(n))
            .zip(out.par_chunks_mut((steps + 1) * n))
            .enumerate()
            .for_each(|(s, ((slot, g), traj))| {
                slot.reserve(asm);
                slot.error = rollout_one(asm, solver, s, slot, g, steps, traj).err();
            });
        collect(&mut self.rollout_slots[..count])
    }
}

/// Rejects a non-finite value, naming `what()` only when there is one (no allocation on the
/// hot path).
fn check_finite<T: Real>(what: impl FnOnce() -> String, x: &[T]) -> Result<()> {
    match x.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(_) => Err(prdp_core::check_finite(&what(), x)
            .expect_err("a non-finite entry")
            .into()),
    }
}

/// Stores a forward (`primal`) or adjoint result in the slot.
fn finish<T: Real>(slot: &mut Slot<T>, r: Result<SolveReport>, primal: bool) {
    slot.counters = Counters::default();
    match r {
        Ok(rep) => {
            if primal {
                slot.counters.add_primal(&rep);
                slot.report = rep;
            } else {
                slot.counters.add_adjoint(&rep);
            }
            slot.error = None;
        }
        Err(e) => slot.error = Some(e),
    }
}

/// The first error in sample order, or the summed counters.
fn collect<T: Real>(slots: &mut [Slot<T>]) -> Result<Counters> {
    if let Some(e) = slots.iter_mut().find_map(|s| s.error.take()) {
        return Err(e);
    }
    let mut c = Counters::default();
    for s in slots.iter() {
        c.merge(&s.counters);
    }
    Ok(c)
}

fn forward_one<T: Real, A: Assembly<T>>(
    asm: &A,
    solver: &DiffSolver,
    s: usize,
    slot: &mut Slot<T>,
    g: &[T],
    u: &mut [T],
) -> Result<SolveReport> {
    check_finite(|| format!("input g of sample {s}"), g)?;
    slot.g.copy_from_slice(g);
    asm.rhs(&slot.g, &mut slot.b);
    let op = asm.operator(&slot.g, &mut slot.op_scratch);
    Ok(solver.forward(&op, &slot.b, u, &mut slot.tape, &mut slot.ws)?)
}

fn vjp_one<T: Real, A: Assembly<T>>(
    asm: &A,
    solver: &DiffSolver,
    s: usize,
    slot: &mut Slot<T>,
    u_bar: &[T],
    g_bar: &mut [T],
) -> Result<SolveReport> {
    check_finite(|| format!("cotangent u_bar of sample {s}"), u_bar)?;
    slot.u_bar.copy_from_slice(u_bar);
    asm.project_cotangent(&mut slot.u_bar);
    g_bar.fill(T::zero());
    let report = {
        let op = asm.operator(&slot.g, &mut slot.op_scratch);
        let mut sink = asm.operator_vjp(&slot.g, g_bar, &mut slot.vjp_scratch);
        solver.backward(
            &op,
            &slot.b,
            &mut slot.tape,
            Seeds {
                u_bar: &slot.u_bar,
                b_bar: &mut slot.b_bar,
                sink: &mut sink,
            },
            &mut slot.ws,
        )?
    };
    asm.rhs_vjp(&slot.g, &slot.b_bar, g_bar);
    Ok(report)
}

fn rollout_one<T: Real, A: Assembly<T>>(
    asm: &A,
    solver: &DiffSolver,
    s: usize,
    slot: &mut Slot<T>,
    g0: &[T],
    steps: usize,
    traj: &mut [T],
) -> Result<()> {
    let n = g0.len();
    check_finite(|| format!("initial state of sample {s}"), g0)?;
    traj[..n].copy_from_slice(g0);
    let opts = SolveOptions {
        warm_start: solver.warm_start,
        record_history: false,
    };
    slot.counters = Counters::default();
    for t in 0..steps {
        let (done, next) = traj.split_at_mut((t + 1) * n);
        let g = &done[t * n..];
        let x = &mut next[..n];
        slot.g.copy_from_slice(g);
        asm.rhs(&slot.g, &mut slot.b);
        x.copy_from_slice(g);
        let op = asm.operator(&slot.g, &mut slot.op_scratch);
        let r = solver
            .method
            .solve(&op, &slot.b, x, &solver.budget, &opts, &mut slot.ws)?;
        slot.counters.add_primal(&r);
    }
    Ok(())
}
