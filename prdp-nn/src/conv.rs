//! Stride-1 "same" convolutions in one to three spatial dimensions, with circular or zero
//! padding, on channels-first or channels-last samples: per sample, im2col and a GEMM (a block
//! of grid points at a time for channels-last input, so the patches stay in cache). The input
//! gradient is the adjoint convolution, computed the same way.

use faer::{Accum, MatMut, MatRef};
use prdp_core::{Real, kernels};

use crate::gemm::{gemm, rm, rm_mut};
use crate::pass::{ParamGrad, Pass};
use crate::patches::Window;

/// Entries of one channels-last patch block (about 330 KB in `f32`, within the L2 cache).
const BLOCK_ENTRIES: usize = 82_944;
/// Block lengths are multiples of this many grid points (a multiple of faer's row tiles).
const BLOCK_ALIGN: usize = 48;

/// Memory order of one sample of a convolutional activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Layout {
    /// `[channels, grid…]`: the layout of model inputs and outputs.
    ChannelsFirst,
    /// `[grid…, channels]`: the layout of hidden activations, for which faer's products run
    /// fastest (the patch matrix is row-major and the output needs no transposition).
    ChannelsLast,
}

/// A convolution layer from `cin` to `cout` channels with weight `[cout, cin, k…]` at `weight`
/// and optional bias `[cout]` at `bias` (offsets into the flat parameter buffer), reading
/// samples in layout `input` and writing them in layout `output`.
///
/// Per sample, the output `O[point, cout]` is `P · Wᵀ` with the patch matrix
/// `P[point, patch]` (the input itself for 1×1 kernels) and the weights as a
/// `[cout, patch]` matrix whose columns follow the patch order of the input layout:
/// `(ci, tap)` for channels-first input, `(tap, ci)` for channels-last.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Conv {
    pub cin: usize,
    pub cout: usize,
    pub window: Window,
    pub weight: usize,
    pub bias: Option<usize>,
    pub input: Layout,
    pub output: Layout,
}

impl Conv {
    /// Grid points.
    pub fn points(&self) -> usize {
        self.window.points()
    }

    /// Kernel taps per channel pair.
    pub fn taps(&self) -> usize {
        self.window.taps()
    }

    /// Inputs of one output entry: `cin × taps`.
    pub fn patch(&self) -> usize {
        self.cin * self.taps()
    }

    /// Multiply–adds per sample.
    pub fn macs(&self) -> usize {
        self.cout * self.patch() * self.points()
    }

    fn weights(&self) -> usize {
        self.cout * self.patch()
    }

    /// Grid points per patch block: channels-last patches are built and multiplied a block at
    /// a time so that the block stays in the L2 cache; channels-first ones all at once.
    fn block(&self) -> usize {
        if self.input == Layout::ChannelsLast && self.taps() > 1 {
            (BLOCK_ENTRIES / self.patch() / BLOCK_ALIGN * BLOCK_ALIGN)
                .max(BLOCK_ALIGN)
                .min(self.points())
        } else {
            self.points()
        }
    }

    fn cols_len(&self) -> usize {
        if self.taps() == 1 {
            0
        } else {
            let adjoint = self.adjoint();
            (self.block() * self.patch()).max(adjoint.block() * adjoint.patch())
        }
    }

    /// Scratch length of every pass: the patch matrix of one sample (of the input, or of the
    /// output gradient for the adjoint), a rearranged weight matrix and a weight gradient.
    pub fn scratch_len(&self) -> usize {
        self.cols_len() + 2 * self.weights()
    }

    fn in_len(&self) -> usize {
        self.cin * self.points()
    }

    fn out_len(&self) -> usize {
        self.cout * self.points()
    }

    /// Column of the weight matrix for input channel `ci` and tap `t`.
    fn patch_index(&self, ci: usize, t: usize) -> usize {
        match self.input {
            Layout::ChannelsFirst => ci * self.taps() + t,
            Layout::ChannelsLast => t * self.cin + ci,
        }
    }

    /// The adjoint convolution (dX from dY): channels and layouts swap, taps reverse.
    fn adjoint(&self) -> Self {
        Self {
            cin: self.cout,
            cout: self.cin,
            window: self.window.adjoint(),
            input: self.output,
            output: self.input,
            ..self.clone()
        }
    }

    /// The weight matrix `[cout, patch]` of `w` (stored `[cout, cin, taps]`), rearranged into
    /// `buf` unless the patch order is the stored one.
    fn weight_matrix<'a, T: Real>(&self, w: &'a [T], buf: &'a mut [T]) -> MatRef<'a, T> {
        let (patch, taps) = (self.patch(), self.taps());
        if self.input == Layout::ChannelsLast && taps > 1 {
            for (src, dst) in w.chunks_exact(patch).zip(buf.chunks_exact_mut(patch)) {
                for (ci, wt) in src.chunks_exact(taps).enumerate() {
                    for (t, &v) in wt.iter().enumerate() {
                        dst[self.patch_index(ci, t)] = v;
                    }
                }
            }
            rm(&buf[..self.weights()], self.cout, patch)
        } else {
            rm(w, self.cout, patch)
        }
    }

    /// The weight matrix of [`Self::adjoint`] written to `buf`:
    /// `w′[ci, (co, t)] = w[co, ci, taps − 1 − t]` in the adjoint's patch order.
    fn adjoint_matrix<'a, T: Real>(&self, w: &[T], buf: &'a mut [T]) -> MatRef<'a, T> {
        let adjoint = self.adjoint();
        let (patch, taps) = (self.patch(), self.taps());
        for (co, wo) in w.chunks_exact(patch).enumerate() {
            for (ci, wt) in wo.chunks_exact(taps).enumerate() {
                let row = &mut buf[ci * adjoint.patch()..(ci + 1) * adjoint.patch()];
                for (t, &v) in wt.iter().rev().enumerate() {
                    row[adjoint.patch_index(co, t)] = v;
                }
            }
        }
        rm(&buf[..self.weights()], self.cin, adjoint.patch())
    }

    /// Rows `first..first + len` of the patch matrix `[points, patch]` of one input sample
    /// (`first` and `len` follow [`Self::block`]).
    fn patches<'a, T: Real>(
        &self,
        xs: &'a [T],
        first: usize,
        len: usize,
        cols: &'a mut [T],
    ) -> MatRef<'a, T> {
        let (n, patch) = (self.points(), self.patch());
        match (self.input, self.taps()) {
            (Layout::ChannelsFirst, 1) => rm(xs, self.cin, n).transpose().subrows(first, len),
            (Layout::ChannelsLast, 1) => rm(xs, n, self.cin).subrows(first, len),
            (Layout::ChannelsFirst, _) => {
                let cols = &mut cols[..patch * n];
                self.window.im2col_first(xs, cols);
                rm(cols, patch, n).transpose()
            }
            (Layout::ChannelsLast, _) => {
                let cols = &mut cols[..patch * len];
                self.window.im2col_last(xs, self.cin, first, len, cols);
                rm(cols, len, patch)
            }
        }
    }

    /// The blocks `(first, len)` of grid points.
    fn blocks(&self) -> impl Iterator<Item = (usize, usize)> {
        let (n, b) = (self.points(), self.block());
        (0..n)
            .step_by(b)
            .map(move |first| (first, b.min(n - first)))
    }

    /// One output sample as a `[points, cout]` matrix.
    fn out_matrix<'a, T>(&self, ys: &'a mut [T]) -> MatMut<'a, T> {
        match self.output {
            Layout::ChannelsFirst => rm_mut(ys, self.cout, self.points()).transpose_mut(),
            Layout::ChannelsLast => rm_mut(ys, self.points(), self.cout),
        }
    }

    /// One output-gradient sample as a `[points, cout]` matrix.
    fn out_ref<'a, T>(&self, ys: &'a [T]) -> MatRef<'a, T> {
        match self.output {
            Layout::ChannelsFirst => rm(ys, self.cout, self.points()).transpose(),
            Layout::ChannelsLast => rm(ys, self.points(), self.cout),
        }
    }

    /// One sample: ys ← patches(xs)·wmᵀ + bias when `init` is `Some(bias)` (no bias if `bias`
    /// is `None`), ys ← ys + patches(xs)·wmᵀ when `init` is `None`.
    fn apply<T: Real>(
        &self,
        wm: MatRef<'_, T>,
        init: Option<Option<&[T]>>,
        xs: &[T],
        ys: &mut [T],
        cols: &mut [T],
        threads: usize,
    ) {
        let beta = match init {
            Some(Some(b)) => {
                match self.output {
                    Layout::ChannelsFirst => {
                        for (row, &v) in ys.chunks_exact_mut(self.points()).zip(b) {
                            row.fill(v);
                        }
                    }
                    Layout::ChannelsLast => {
                        for row in ys.chunks_exact_mut(self.cout) {
                            row.copy_from_slice(b);
                        }
                    }
                }
                Accum::Add
            }
            Some(None) => Accum::Replace,
            None => Accum::Add,
        };
        let mut out = self.out_matrix(ys);
        for (first, len) in self.blocks() {
            let p = self.patches(xs, first, len, cols);
            let dst = out.as_mut().subrows_mut(first, len);
            gemm(dst, beta, p, wm.transpose(), threads);
        }
    }

    /// Y ← W ⋆ X + b for `rows` samples.
    pub fn forward<T: Real>(&self, params: &[T], x: &[T], y: &mut [T], pass: Pass<'_, T>) {
        let Pass {
            rows,
            threads,
            scratch,
        } = pass;
        let (cols, rest) = scratch.split_at_mut(self.cols_len());
        let w = &params[self.weight..self.weight + self.weights()];
        let wm = self.weight_matrix(w, &mut rest[..self.weights()]);
        let bias = self.bias.map(|b| &params[b..b + self.cout]);
        let samples = x
            .chunks_exact(self.in_len())
            .zip(y.chunks_exact_mut(self.out_len()));
        for (xs, ys) in samples.take(rows) {
            self.apply(wm, Some(bias), xs, ys, cols, threads);
        }
    }

    /// Tangent of `rows` samples: dY ← Ẇ ⋆ X + ḃ + W ⋆ dX for the parameter tangent `dparams`
    /// (laid out like `params`) and the input tangent `dx` (zero if `None`).
    pub fn tangent<T: Real>(
        &self,
        params: &[T],
        dparams: &[T],
        x: &[T],
        dx: Option<&[T]>,
        dy: &mut [T],
        pass: Pass<'_, T>,
    ) {
        let Pass {
            rows,
            threads,
            scratch,
        } = pass;
        self.forward(
            dparams,
            x,
            dy,
            Pass {
                rows,
                threads,
                scratch: &mut *scratch,
            },
        );
        if let Some(dx) = dx {
            let (cols, rest) = scratch.split_at_mut(self.cols_len());
            let w = &params[self.weight..self.weight + self.weights()];
            let wm = self.weight_matrix(w, &mut rest[..self.weights()]);
            let samples = dx
                .chunks_exact(self.in_len())
                .zip(dy.chunks_exact_mut(self.out_len()));
            for (dxs, dys) in samples.take(rows) {
                self.apply(wm, None, dxs, dys, cols, threads);
            }
        }
    }

    /// Gradients of `rows` samples: dW and db are added to `grad` (written instead if `beta`
    /// is `Accum::Replace`); dX is written if requested, as the adjoint convolution of dY (a
    /// product as deep as the forward one).
    pub fn backward<T: Real>(
        &self,
        params: &[T],
        x: &[T],
        dy: &[T],
        mut dx: Option<&mut [T]>,
        param_grad: ParamGrad<'_, T>,
        pass: Pass<'_, T>,
    ) {
        let ParamGrad { grad, beta } = param_grad;
        let Pass {
            rows,
            threads,
            scratch,
        } = pass;
        let nw = self.weights();
        let (cols, rest) = scratch.split_at_mut(self.cols_len());
        let (wbuf, rest) = rest.split_at_mut(nw);
        let dw = &mut rest[..nw];
        let w = &params[self.weight..self.weight + nw];
        let adjoint = self.adjoint();
        let wa = self.adjoint_matrix(w, wbuf);
        for s in 0..rows {
            let first = if s == 0 { Accum::Replace } else { Accum::Add };
            let xs = &x[s * self.in_len()..(s + 1) * self.in_len()];
            let dys = &dy[s * self.out_len()..(s + 1) * self.out_len()];
            if let Some(b) = self.bias {
                let replace = s == 0 && beta == Accum::Replace;
                self.bias_grad(dys, &mut grad[b..b + self.cout], replace);
            }
            // dWᵀ[patch, cout] (+)= Pᵀ · dO, in the patch order of the input layout.
            for (i, (start, len)) in self.blocks().enumerate() {
                let p = self.patches(xs, start, len, cols);
                let beta = if i == 0 { first } else { Accum::Add };
                let dy_rows = self.out_ref(dys).subrows(start, len);
                gemm(
                    rm_mut(dw, self.patch(), self.cout),
                    beta,
                    p.transpose(),
                    dy_rows,
                    threads,
                );
            }
            if let Some(dx) = dx.as_deref_mut() {
                let dxs = &mut dx[s * self.in_len()..(s + 1) * self.in_len()];
                adjoint.apply(wa, Some(None), dys, dxs, cols, threads);
            }
        }
        if rows > 0 {
            self.scatter_weight_grad(dw, &mut grad[self.weight..self.weight + nw], beta);
        }
    }

    /// db (+)= Σ_points dY of one sample.
    fn bias_grad<T: Real>(&self, dys: &[T], db: &mut [T], replace: bool) {
        if replace {
            db.fill(T::zero());
        }
        match self.output {
            Layout::ChannelsFirst => {
                for (g, row) in db.iter_mut().zip(dys.chunks_exact(self.points())) {
                    *g += kernels::sum(row);
                }
            }
            Layout::ChannelsLast => {
                for row in dys.chunks_exact(self.cout) {
                    for (g, &d) in db.iter_mut().zip(row) {
                        *g += d;
                    }
                }
            }
        }
    }

    /// grad[co, ci, t] (+)= dw[patch_index(ci, t), co].
    fn scatter_weight_grad<T: Real>(&self, dw: &[T], grad: &mut [T], beta: Accum) {
        let taps = self.taps();
        for (co, go) in grad.chunks_exact_mut(self.patch()).enumerate() {
            for (ci, gt) in go.chunks_exact_mut(taps).enumerate() {
                for (t, g) in gt.iter_mut().enumerate() {
                    let v = dw[self.patch_index(ci, t) * self.cout + co];
                    *g = if beta == Accum::Replace { v } else { *g + v };
                }
            }
        }
    }
}
