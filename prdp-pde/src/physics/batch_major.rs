//! The batch-major path of [`super::Physics`]: a minibatch of small systems with one constant
//! operator, solved by Jacobi as one lane-interleaved sweep ([`jacobi_batch_major`]) in the
//! forward pass and in the implicit adjoint, on the calling thread.
//!
//! It gives the per-sample path's results bit for bit (the solver is bit-identical per sample,
//! and a constant operator has no matrix cotangent to contract), so the choice between the two
//! is purely one of speed, made by [`batch_major_groups`].

use prdp_core::{LinearOperator, Real, Transposed};
use prdp_solvers::{
    Batch, DiffMode, DiffSolver, LaneWorkspace, Method, SolveOptions, SolveReport,
    batch_major_groups, jacobi_batch_major,
};

use super::{Slot, check_finite, finish};
use crate::{Assembly, Result};

/// The batch's buffers on the batch-major path, reused across calls.
#[derive(Debug, Default)]
pub(super) struct BatchMajor<T> {
    b: Vec<T>,
    u_bar: Vec<T>,
    b_bar: Vec<T>,
    ws: LaneWorkspace<T>,
    reports: Vec<SolveReport>,
}

impl<T: Real> BatchMajor<T> {
    fn reserve(&mut self, len: usize, count: usize) {
        for v in [&mut self.b, &mut self.u_bar, &mut self.b_bar] {
            if v.len() != len {
                v.resize(len, T::zero());
            }
        }
        self.reports.resize_with(count, SolveReport::default);
    }
}

/// Whether a batch of `count` samples takes the batch-major path: a constant operator with a
/// batch-major form and a constant diagonal, Jacobi, implicit differentiation, and a system
/// small enough for [`batch_major_groups`]. `slot` (reserved) lends the operator its buffers.
pub(super) fn chosen<T: Real, A: Assembly<T>>(
    asm: &A,
    solver: &DiffSolver,
    count: usize,
    slot: &mut Slot<T>,
) -> bool {
    if !(asm.is_constant()
        && solver.method == Method::Jacobi
        && matches!(solver.mode, DiffMode::Implicit { .. })
        && batch_major_groups(asm.state_len(), count) > 0)
    {
        return false;
    }
    let op = asm.operator(&slot.g, &mut slot.op_scratch);
    op.lanes().is_some() && op.constant_diagonal().is_some()
}

/// Forward pass: u = P_K(g) for the batch; per-sample reports and errors go to the slots.
pub(super) fn forward<T: Real, A: Assembly<T>>(
    asm: &A,
    solver: &DiffSolver,
    major: &mut BatchMajor<T>,
    slots: &mut [Slot<T>],
    g: &[T],
    u: &mut [T],
) {
    let (ni, n, count) = (asm.input_len(), asm.state_len(), slots.len());
    major.reserve(count * n, count);
    let ok = each_finite(slots, g, ni, "input g", |s, slot, gs| {
        slot.g.copy_from_slice(gs);
        asm.rhs(&slot.g, &mut major.b[s * n..(s + 1) * n]);
    });
    if !ok {
        return;
    }
    let opts = SolveOptions {
        warm_start: solver.warm_start,
        record_history: false,
    };
    let r = {
        let slot = &mut slots[0];
        let op = asm.operator(&slot.g, &mut slot.op_scratch);
        let batch = Batch {
            b: &major.b,
            x: u,
            count,
        };
        jacobi_batch_major(
            &op,
            batch,
            &solver.budget,
            &opts,
            &mut major.ws,
            &mut major.reports,
        )
    };
    settle(slots, &mut major.reports, r.map_err(Into::into), true);
}

/// Implicit VJP of the last forward pass: solves Aᵀλ = ū for the batch and writes
/// ḡ = (∂β/∂g)ᵀλ (a constant operator contributes no matrix cotangent).
pub(super) fn vjp<T: Real, A: Assembly<T>>(
    asm: &A,
    solver: &DiffSolver,
    major: &mut BatchMajor<T>,
    slots: &mut [Slot<T>],
    u_bar: &[T],
    g_bar: &mut [T],
) {
    let (ni, n, count) = (asm.input_len(), asm.state_len(), slots.len());
    let ok = each_finite(slots, u_bar, n, "cotangent u_bar", |s, _, ub| {
        let dst = &mut major.u_bar[s * n..(s + 1) * n];
        dst.copy_from_slice(ub);
        asm.project_cotangent(dst);
    });
    if !ok {
        return;
    }
    let budget = match solver.mode {
        DiffMode::Implicit { adjoint_budget } => adjoint_budget.unwrap_or(solver.budget),
        _ => unreachable!("the batch-major path is chosen for implicit mode only"),
    };
    let r = {
        let slot = &mut slots[0];
        let op = asm.operator(&slot.g, &mut slot.op_scratch);
        let batch = Batch {
            b: &major.u_bar,
            x: &mut major.b_bar,
            count,
        };
        jacobi_batch_major(
            &Transposed(&op),
            batch,
            &budget,
            &SolveOptions::default(),
            &mut major.ws,
            &mut major.reports,
        )
    };
    if r.is_ok() {
        for (s, slot) in slots.iter().enumerate() {
            let gb = &mut g_bar[s * ni..(s + 1) * ni];
            gb.fill(T::zero());
            asm.rhs_vjp(&slot.g, &major.b_bar[s * n..(s + 1) * n], gb);
        }
    }
    settle(slots, &mut major.reports, r.map_err(Into::into), false);
}

/// Calls `take(s, slot, xₛ)` for each sample s whose `len` values in `x` are finite, and records
/// a non-finite one as that slot's error (named `what` of sample s); returns whether all were
/// finite.
fn each_finite<T: Real>(
    slots: &mut [Slot<T>],
    x: &[T],
    len: usize,
    what: &str,
    mut take: impl FnMut(usize, &mut Slot<T>, &[T]),
) -> bool {
    let mut ok = true;
    for (s, slot) in slots.iter_mut().enumerate() {
        let xs = &x[s * len..(s + 1) * len];
        slot.error = check_finite(|| format!("{what} of sample {s}"), xs).err();
        match slot.error {
            None => take(s, slot, xs),
            Some(_) => ok = false,
        }
    }
    ok
}

/// Hands each slot its report, or the batch's error to the first slot (the error already
/// names the first failing sample's failure, as the per-sample path reports it).
fn settle<T: Real>(
    slots: &mut [Slot<T>],
    reports: &mut [SolveReport],
    r: Result<()>,
    primal: bool,
) {
    match r {
        Ok(()) => {
            for (slot, rep) in slots.iter_mut().zip(reports) {
                finish(slot, Ok(std::mem::take(rep)), primal);
            }
        }
        Err(e) => finish(&mut slots[0], Err(e), primal),
    }
}
