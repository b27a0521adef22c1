//! The dense (fully connected) layer: y = W x + b on a batch of rows.

use faer::Accum;
use prdp_core::Real;

use crate::gemm::{gemm, rm, rm_mut};
use crate::pass::{ParamGrad, Pass};

/// Input gradients of at least this many multiply–adds per batch are computed column-major into
/// scratch and transposed: faer runs the skinny `[batch, out] × [out, in]` product with a
/// row-major weight half again as fast when the output is column-major.
const TRANSPOSED_DX_MIN_MACS: usize = 1 << 22;

/// A dense layer with weight `[out, in]` at `weight` and optional bias `[out]` at `bias`
/// (offsets into the flat parameter buffer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dense {
    pub inp: usize,
    pub out: usize,
    pub weight: usize,
    pub bias: Option<usize>,
}

impl Dense {
    /// Multiply–adds per sample.
    pub fn macs(&self) -> usize {
        self.inp * self.out
    }

    /// Y[rows, out] ← X[rows, in]·Wᵀ + b.
    pub fn forward<T: Real>(
        &self,
        params: &[T],
        x: &[T],
        y: &mut [T],
        rows: usize,
        threads: usize,
    ) {
        let w = &params[self.weight..self.weight + self.macs()];
        let beta = match self.bias {
            Some(b) => {
                let b = &params[b..b + self.out];
                for row in y.chunks_exact_mut(self.out) {
                    row.copy_from_slice(b);
                }
                Accum::Add
            }
            None => Accum::Replace,
        };
        gemm(
            rm_mut(y, rows, self.out),
            beta,
            rm(x, rows, self.inp),
            rm(w, self.out, self.inp).transpose(),
            threads,
        );
    }

    /// Tangent of one batch: dY ← dX·Wᵀ + X·Ẇᵀ + ḃ for the parameter tangent `dparams` (laid
    /// out like `params`) and the input tangent `dx` (zero if `None`).
    pub fn tangent<T: Real>(
        &self,
        params: &[T],
        dparams: &[T],
        x: &[T],
        dx: Option<&[T]>,
        dy: &mut [T],
        pass: Pass<'_, T>,
    ) {
        let Pass { rows, threads, .. } = pass;
        self.forward(dparams, x, dy, rows, threads);
        if let Some(dx) = dx {
            let w = &params[self.weight..self.weight + self.macs()];
            gemm(
                rm_mut(dy, rows, self.out),
                Accum::Add,
                rm(dx, rows, self.inp),
                rm(w, self.out, self.inp).transpose(),
                threads,
            );
        }
    }

    /// Scratch entries per row that [`Self::backward`] needs.
    pub fn scratch_per_row(&self) -> usize {
        self.inp
    }

    /// Gradients of one batch: dW (+)= dYᵀX, db (+)= Σ_rows dY (added if `beta` is
    /// `Accum::Add`, written otherwise) and, if requested, dX ← dY·W. `scratch` holds at least
    /// `rows × scratch_per_row()` entries.
    pub fn backward<T: Real>(
        &self,
        params: &[T],
        x: &[T],
        dy: &[T],
        dx: Option<&mut [T]>,
        param_grad: ParamGrad<'_, T>,
        pass: Pass<'_, T>,
    ) {
        let ParamGrad { grad, beta } = param_grad;
        let Pass {
            rows,
            threads,
            scratch,
        } = pass;
        let dw = &mut grad[self.weight..self.weight + self.macs()];
        gemm(
            rm_mut(dw, self.out, self.inp),
            beta,
            rm(dy, rows, self.out).transpose(),
            rm(x, rows, self.inp),
            threads,
        );
        if let Some(b) = self.bias {
            let db = &mut grad[b..b + self.out];
            if beta == Accum::Replace {
                db.fill(T::zero());
            }
            for row in dy.chunks_exact(self.out) {
                for (g, &d) in db.iter_mut().zip(row) {
                    *g += d;
                }
            }
        }
        if let Some(dx) = dx {
            let w = rm(
                &params[self.weight..self.weight + self.macs()],
                self.out,
                self.inp,
            );
            let dy = rm(dy, rows, self.out);
            if rows * self.macs() >= TRANSPOSED_DX_MIN_MACS {
                let t = &mut scratch[..rows * self.inp];
                gemm(
                    rm_mut(t, self.inp, rows).transpose_mut(),
                    Accum::Replace,
                    dy,
                    w,
                    threads,
                );
                for (r, row) in dx.chunks_exact_mut(self.inp).enumerate() {
                    for (d, col) in row.iter_mut().zip(t.chunks_exact(rows)) {
                        *d = col[r];
                    }
                }
            } else {
                gemm(rm_mut(dx, rows, self.inp), Accum::Replace, dy, w, threads);
            }
        }
    }
}
