//! Batch-major ("lane-interleaved") application of one operator to many systems.
//!
//! A minibatch of small systems that share their matrix (heat, Poisson) is swept as one array
//! in which the sample is the fastest axis: entry i of sample s sits at `i·lanes + s`. One
//! residual sweep then covers the whole batch in long vectorised loops, instead of one short
//! loop (and one call) per sample.

use crate::Real;

/// An operator that computes the residuals of `lanes` systems stored lane-interleaved (entry i
/// of system s at `i·lanes + s`), each entry with exactly the arithmetic of the one-system
/// residual ([`crate::LinearOperator::residual_vector`]), so that a batch-major solve equals
/// the per-sample solves bit for bit.
pub trait LaneOperator<T: Real>: Sync {
    /// Number of unknowns of one system.
    fn lane_len(&self) -> usize;

    /// r ← b − A x (with `transposed`, b − Aᵀ x) for `lanes` interleaved systems.
    ///
    /// # Panics
    /// If a slice is not `lane_len() · lanes` long.
    fn lane_residual(&self, transposed: bool, x: &[T], b: &[T], r: &mut [T], lanes: usize);
}

/// The batch-major form of an operator or of its transpose, as returned by
/// [`crate::LinearOperator::lanes`].
#[derive(Clone, Copy)]
pub struct Lanes<'a, T> {
    op: &'a dyn LaneOperator<T>,
    transposed: bool,
}

impl<T> std::fmt::Debug for Lanes<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lanes")
            .field("transposed", &self.transposed)
            .finish_non_exhaustive()
    }
}

impl<'a, T: Real> Lanes<'a, T> {
    /// The batch-major form of `op` itself.
    pub fn new(op: &'a dyn LaneOperator<T>) -> Self {
        Self {
            op,
            transposed: false,
        }
    }

    /// The batch-major form of the transpose.
    #[must_use]
    pub fn transpose(self) -> Self {
        Self {
            op: self.op,
            transposed: !self.transposed,
        }
    }

    /// Number of unknowns of one system.
    pub fn len(&self) -> usize {
        self.op.lane_len()
    }

    /// Whether a system has no unknowns.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// r ← b − A x for `lanes` interleaved systems.
    ///
    /// # Panics
    /// If a slice is not `len() · lanes` long.
    pub fn residual(&self, x: &[T], b: &[T], r: &mut [T], lanes: usize) {
        self.op.lane_residual(self.transposed, x, b, r, lanes)
    }
}

/// Copies `count` sample-major vectors of `n` entries (`src[s·n + i]`) into lane-interleaved
/// order (`dst[i·count + s]`).
///
/// # Panics
/// If either slice is not `count · n` long.
pub fn interleave<T: Copy>(src: &[T], dst: &mut [T], count: usize) {
    assert_eq!(src.len(), dst.len(), "interleave: slices differ in length");
    if count == 0 || src.is_empty() {
        return;
    }
    let n = src.len() / count;
    assert_eq!(n * count, src.len(), "interleave: length is not count · n");
    for (s, sample) in src.chunks_exact(n).enumerate() {
        for (i, &v) in sample.iter().enumerate() {
            dst[i * count + s] = v;
        }
    }
}

/// The inverse of [`interleave`]: lane-interleaved `src` back to sample-major `dst`.
///
/// # Panics
/// If either slice is not `count · n` long.
pub fn deinterleave<T: Copy>(src: &[T], dst: &mut [T], count: usize) {
    assert_eq!(
        src.len(),
        dst.len(),
        "deinterleave: slices differ in length"
    );
    if count == 0 || src.is_empty() {
        return;
    }
    let n = src.len() / count;
    assert_eq!(
        n * count,
        src.len(),
        "deinterleave: length is not count · n"
    );
    for (s, sample) in dst.chunks_exact_mut(n).enumerate() {
        for (i, v) in sample.iter_mut().enumerate() {
            *v = src[i * count + s];
        }
    }
}
