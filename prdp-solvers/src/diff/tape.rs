//! What the forward pass of a differentiable solve keeps for the backward pass.

use prdp_core::Real;

use crate::SolveReport;
use crate::program::Recorder;

/// The record of one differentiable forward solve, reused across calls (its buffers grow to the
/// largest size seen and are then recycled, so steady-state training allocates nothing).
///
/// Implicit mode keeps the solution only; unrolled mode keeps every iterate's state and the
/// per-iteration scalars; checkpointed mode keeps every s-th state (s ≈ √K by default) and
/// recomputes the others during the backward pass.
#[derive(Debug, Clone, Default)]
pub struct Tape<T> {
    pub(crate) n: usize,
    pub(crate) solution: Vec<T>,
    pub(crate) initial_guess: Vec<T>,
    pub(crate) warm: bool,
    pub(crate) states: Vec<T>,
    pub(crate) extras: Vec<T>,
    pub(crate) steps: usize,
    pub(crate) segment: usize,
    pub(crate) state_len: usize,
    pub(crate) extra_len: usize,
    pub(crate) zero_rhs: bool,
    pub(crate) report: SolveReport,
    pub(crate) rev: ReverseScratch<T>,
}

/// Buffers of the reverse sweep, kept in the tape so that repeated backward passes reuse them.
#[derive(Debug, Clone, Default)]
pub(crate) struct ReverseScratch<T> {
    pub(crate) states: Vec<T>,
    pub(crate) extras: Vec<T>,
    pub(crate) adjoint: Vec<T>,
    pub(crate) diag_bar: Vec<T>,
}

impl<T: Real> Tape<T> {
    /// An empty tape.
    pub fn new() -> Self {
        Self::default()
    }

    /// The forward report.
    pub fn report(&self) -> &SolveReport {
        &self.report
    }

    /// The solution u computed by the forward pass.
    pub fn solution(&self) -> &[T] {
        &self.solution
    }

    /// Number of scalars stored for the backward pass (states and per-iteration extras), a
    /// measure of the tape's memory.
    pub fn stored_len(&self) -> usize {
        self.solution.len() + self.states.len() + self.extras.len()
    }

    /// Prepares for a forward pass of an n-unknown system recording states of `state_len`,
    /// extras of `extra_len` and a checkpoint every `segment` steps.
    pub(crate) fn reset(&mut self, n: usize, state_len: usize, extra_len: usize, segment: usize) {
        self.n = n;
        self.states.clear();
        self.extras.clear();
        self.steps = 0;
        self.segment = segment;
        self.state_len = state_len;
        self.extra_len = extra_len;
        self.zero_rhs = false;
    }
}

impl<T: Real> Recorder<T> for Tape<T> {
    fn before_step(&mut self, k: usize, state: &[T]) -> &mut [T] {
        if k.is_multiple_of(self.segment) {
            self.states.extend_from_slice(state);
        }
        if self.segment == 1 {
            let start = self.extras.len();
            self.extras.resize(start + self.extra_len, T::zero());
            &mut self.extras[start..]
        } else {
            self.extras.resize(self.extra_len, T::zero());
            &mut self.extras[..]
        }
    }

    fn finish(&mut self, steps: usize, state: &[T]) {
        self.steps = steps;
        self.zero_rhs = state.is_empty();
        if self.segment == 1 {
            self.states.extend_from_slice(state);
        }
    }
}
