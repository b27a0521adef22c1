//! What every layer pass over a batch takes besides its data.

use faer::Accum;

/// How a layer pass runs: over `rows` samples, with up to `threads` threads, in `scratch` (the
/// im2col buffer of a convolution, the transposition buffer of a dense layer's input gradient;
/// a pass that needs none ignores it).
pub(crate) struct Pass<'s, T> {
    pub rows: usize,
    pub threads: usize,
    pub scratch: &'s mut [T],
}

/// Where a layer's parameter gradient goes: added to `grad`, or written over it if `beta` is
/// `Accum::Replace`.
pub(crate) struct ParamGrad<'g, T> {
    pub grad: &'g mut [T],
    pub beta: Accum,
}
