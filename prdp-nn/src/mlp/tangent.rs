//! Products with the parameter Jacobian J of an [`Mlp`] over a cached forward pass: J v
//! (forward mode in θ) and Jᵀ w (reverse mode in θ) for one tangent or a block of r tangents at
//! once, and the dense Jacobian. (The Gauss–Newton product Jᵀ J V is `gauss_newton.rs`.)
//!
//! J is never formed for the products. A block of r tangents is packed layer by layer into
//! stacked weight matrices so that every layer costs two large GEMMs in each direction: with
//! the tangent activations of a chunk of rows stored row-major (`nc × r·w`, which is also the
//! row-major `nc·r × w` matrix of all tangents), the propagated part is one product with the
//! layer's weights and the direct part one product of the cached activations with the stacked
//! tangent weights. The cost of J V or Jᵀ W with r tangents over n rows is ≈ 2·n·r·p
//! multiply–adds, linear in the number of parameters p.

use core::ops::Range;

use faer::Accum;
use rayon::prelude::*;

use super::gauss_newton::Sensitivities;
use super::{Mlp, MlpForward};
use crate::error::{Result, check_len};
use crate::gemm::{gemm, rm, rm_mut};
use crate::lanes::{LANES, part, point_lanes, split_parts};

/// Target size (in f64 entries) of one tangent buffer of a chunk of rows.
const CHUNK_BUDGET: usize = 1 << 20;

/// Scratch memory for the parameter derivatives of an [`Mlp`]: up to
/// [`LANES`](crate::lanes::LANES) lanes (run in parallel), each with its own tangent buffers and
/// gradient accumulator. Grows to the largest problem and is then reused.
#[derive(Debug, Clone, Default)]
pub struct MlpWorkspace {
    lanes: Vec<Lane>,
    /// The output sensitivities of the Gauss–Newton product's linearisation.
    pub(super) sens: Sensitivities,
}

impl MlpWorkspace {
    /// An empty workspace.
    pub fn new() -> Self {
        Self::default()
    }
}

/// The buffers of one lane.
#[derive(Debug, Clone, Default)]
pub(super) struct Lane {
    pub(super) buf1: Vec<f64>,
    buf2: Vec<f64>,
    pub(super) du: Vec<f64>,
    pub(super) packed_v: Vec<f64>,
    pub(super) packed_g: Vec<f64>,
}

/// Grows `v` to at least `len` entries.
pub(super) fn grow(v: &mut Vec<f64>, len: usize) {
    if v.len() < len {
        v.resize(len, 0.0);
    }
}

impl MlpWorkspace {
    /// The first `k` lanes, created if missing.
    pub(super) fn lanes(&mut self, k: usize) -> &mut [Lane] {
        if self.lanes.len() < k {
            self.lanes.resize_with(k, Lane::default);
        }
        &mut self.lanes[..k]
    }
}

/// out ← Σ_lanes `lane.packed_g[..p]`, summed in lane order.
pub(super) fn reduce_lanes(lanes: &[Lane], p: usize, out: &mut [f64]) {
    out.copy_from_slice(&lanes[0].packed_g[..p]);
    for lane in &lanes[1..] {
        for (o, &g) in out.iter_mut().zip(&lane.packed_g[..p]) {
            *o += g;
        }
    }
}

impl Mlp {
    /// Length of a packed block of r tangents (r·p).
    pub(super) fn packed_len(&self, r: usize) -> usize {
        r * self.num_params()
    }

    /// Packs r tangents (column s of `v` at `v[s·p..]`, columns `cols`) layer by layer: for layer
    /// l the stacked weights `[r, out, in]`, then the stacked biases `[r, out]`.
    pub(super) fn pack(&self, v: &[f64], cols: Range<usize>, packed: &mut [f64]) {
        let p = self.num_params();
        let r = cols.len();
        let mut off = 0;
        for layer in &self.layers {
            let nw = layer.n_out * layer.n_in;
            for (s, c) in cols.clone().enumerate() {
                packed[off + s * nw..off + (s + 1) * nw]
                    .copy_from_slice(&v[c * p + layer.w..c * p + layer.b]);
            }
            off += r * nw;
            for (s, c) in cols.clone().enumerate() {
                packed[off + s * layer.n_out..off + (s + 1) * layer.n_out]
                    .copy_from_slice(&v[c * p + layer.b..c * p + layer.b + layer.n_out]);
            }
            off += r * layer.n_out;
        }
    }

    /// Inverse of [`Mlp::pack`]: writes packed gradients into the columns `cols` of `g`.
    pub(super) fn unpack(&self, packed: &[f64], cols: Range<usize>, g: &mut [f64]) {
        let p = self.num_params();
        let r = cols.len();
        let mut off = 0;
        for layer in &self.layers {
            let nw = layer.n_out * layer.n_in;
            for (s, c) in cols.clone().enumerate() {
                g[c * p + layer.w..c * p + layer.b]
                    .copy_from_slice(&packed[off + s * nw..off + (s + 1) * nw]);
            }
            off += r * nw;
            for (s, c) in cols.clone().enumerate() {
                g[c * p + layer.b..c * p + layer.b + layer.n_out]
                    .copy_from_slice(&packed[off + s * layer.n_out..off + (s + 1) * layer.n_out]);
            }
            off += r * layer.n_out;
        }
    }

    /// Points per chunk for r tangents.
    pub(super) fn chunk_len(&self, r: usize) -> usize {
        let widest = self.widest();
        (CHUNK_BUDGET / (r * widest)).clamp(8, 4096)
    }

    /// Tangent outputs of the rows `rows` for r packed tangents: `du` ← (J v) as
    /// `nc × r·m` (point-major).
    fn jvp_chunk(
        &self,
        theta: &[f64],
        fwd: &MlpForward,
        rows: Range<usize>,
        r: usize,
        packed: &[f64],
        lane: &mut Lane,
    ) {
        let nc = rows.len();
        let depth = self.layers.len() - 1;
        let widest = self.layers.iter().map(|l| l.n_out).max().unwrap_or(1);
        grow(&mut lane.buf1, nc * r * widest);
        grow(&mut lane.buf2, nc * r * widest);
        grow(&mut lane.du, nc * r * self.outputs());
        let mut off = 0;
        for (l, layer) in self.layers.iter().enumerate() {
            let (nin, nout) = (layer.n_in, layer.n_out);
            let pw = &packed[off..off + r * nout * nin];
            off += r * nout * nin;
            let pb = &packed[off..off + r * nout];
            off += r * nout;
            let is_head = l == depth;
            let dst: &mut [f64] = if is_head {
                &mut lane.du
            } else {
                &mut lane.buf2
            };
            let a = &fwd.acts[l][rows.start * nin..rows.end * nin];
            // direct part: a_l · [δW⁽¹⁾ᵀ … δW⁽ʳ⁾ᵀ]
            gemm(
                rm_mut(dst, nc, r * nout),
                Accum::Replace,
                rm(a, nc, nin),
                rm(pw, r * nout, nin).transpose(),
                1,
            );
            // propagated part: δa_{l−1} · Wᵀ for all tangents at once
            if l > 0 {
                let w = rm(&theta[layer.w..layer.b], nout, nin);
                gemm(
                    rm_mut(dst, nc * r, nout),
                    Accum::Add,
                    rm(&lane.buf1, nc * r, nin),
                    w.transpose(),
                    1,
                );
            }
            let dst = &mut dst[..nc * r * nout];
            if is_head {
                let bc = &fwd.scale[rows.clone()];
                for (row, &b) in dst.chunks_exact_mut(r * nout).zip(bc) {
                    for (v, &db) in row.iter_mut().zip(pb) {
                        *v = b * (*v + db);
                    }
                }
            } else {
                let sd = &fwd.sder[l][rows.start * nout..rows.end * nout];
                for (row, s) in dst.chunks_exact_mut(r * nout).zip(sd.chunks_exact(nout)) {
                    for (blk, bb) in row.chunks_exact_mut(nout).zip(pb.chunks_exact(nout)) {
                        for ((v, &si), &db) in blk.iter_mut().zip(s).zip(bb) {
                            *v = si * (*v + db);
                        }
                    }
                }
                core::mem::swap(&mut lane.buf1, &mut lane.buf2);
            }
        }
    }

    /// Adds the packed parameter cotangents of the rows `rows` for r output cotangents given
    /// in `lane.du` (`nc × r·m`, point-major; overwritten) into `packed_g`.
    fn vjp_chunk(
        &self,
        theta: &[f64],
        fwd: &MlpForward,
        rows: Range<usize>,
        r: usize,
        packed_g: &mut [f64],
        lane: &mut Lane,
    ) {
        let nc = rows.len();
        let depth = self.layers.len() - 1;
        let m = self.outputs();
        let widest = self.widest();
        grow(&mut lane.buf1, nc * r * widest);
        grow(&mut lane.buf2, nc * r * widest);
        // the end of the packed layers not yet visited (they are visited last to first)
        let mut off = self.packed_len(r);
        {
            let bc = &fwd.scale[rows.clone()];
            for (row, &b) in lane.du[..nc * r * m].chunks_exact_mut(r * m).zip(bc) {
                for v in row {
                    *v *= b;
                }
            }
        }
        for l in (0..=depth).rev() {
            let layer = self.layers[l];
            let (nin, nout) = (layer.n_in, layer.n_out);
            let zbar: &mut [f64] = if l == depth {
                &mut lane.du
            } else {
                &mut lane.buf1
            };
            if l < depth {
                let sd = &fwd.sder[l][rows.start * nout..rows.end * nout];
                for (row, s) in zbar[..nc * r * nout]
                    .chunks_exact_mut(r * nout)
                    .zip(sd.chunks_exact(nout))
                {
                    for blk in row.chunks_exact_mut(nout) {
                        for (v, &si) in blk.iter_mut().zip(s) {
                            *v *= si;
                        }
                    }
                }
            }
            let zbar: &[f64] = zbar;
            let a = &fwd.acts[l][rows.start * nin..rows.end * nin];
            off -= r * nout * (nin + 1);
            let (wo, bo) = (off, off + r * nout * nin);
            gemm(
                rm_mut(&mut packed_g[wo..wo + r * nout * nin], r * nout, nin),
                Accum::Add,
                rm(zbar, nc, r * nout).transpose(),
                rm(a, nc, nin),
                1,
            );
            let gb = &mut packed_g[bo..bo + r * nout];
            for row in zbar[..nc * r * nout].chunks_exact(r * nout) {
                for (g, &v) in gb.iter_mut().zip(row) {
                    *g += v;
                }
            }
            if l > 0 {
                let w = rm(&theta[layer.w..layer.b], nout, nin);
                gemm(
                    rm_mut(&mut lane.buf2, nc * r, nin),
                    Accum::Replace,
                    rm(zbar, nc * r, nout),
                    w,
                    1,
                );
                core::mem::swap(&mut lane.buf1, &mut lane.buf2);
            }
        }
    }

    /// J V for r tangents: column s of `v` is `v[s·p..(s+1)·p]`; column s of the result,
    /// `out[s·n·m..]`, is J v_s as n × m row-major.
    ///
    /// # Errors
    /// [`NnError::Length`](crate::NnError::Length) for wrong lengths,
    /// [`NnError::WorkspaceMismatch`](crate::NnError::WorkspaceMismatch) if `fwd` holds no
    /// forward pass of this network.
    pub fn jvp_block(
        &self,
        theta: &[f64],
        fwd: &MlpForward,
        v: &[f64],
        r: usize,
        out: &mut [f64],
        ws: &mut MlpWorkspace,
    ) -> Result<()> {
        let n = self.check_linearization(theta, fwd)?;
        let (p, m) = (self.num_params(), self.outputs());
        check_len("tangent block", r * p, v.len())?;
        check_len("J v output", r * n * m, out.len())?;
        if n == 0 || r == 0 {
            return Ok(());
        }
        if r == 1 {
            // lanes over rows; each writes its own rows of `out`
            let k = point_lanes(n);
            let parts = split_parts(out, n, k, m);
            ws.lanes(k)
                .par_iter_mut()
                .zip(parts)
                .enumerate()
                .for_each(|(i, (lane, dst))| {
                    // with one tangent the packed layout is the parameter layout
                    self.jvp_rows(theta, fwd, part(n, k, i), (1, v), lane, |_, row, at| {
                        dst[at * m..(at + 1) * m].copy_from_slice(row);
                    });
                });
        } else {
            // lanes over tangent columns; each writes its own columns of `out`
            let k = r.min(LANES);
            let parts = split_parts(out, r, k, n * m);
            ws.lanes(k)
                .par_iter_mut()
                .zip(parts)
                .enumerate()
                .for_each(|(i, (lane, dst))| {
                    let cols = part(r, k, i);
                    let rc = cols.len();
                    let mut packed = core::mem::take(&mut lane.packed_v);
                    grow(&mut packed, self.packed_len(rc));
                    self.pack(v, cols, &mut packed);
                    self.jvp_rows(theta, fwd, 0..n, (rc, &packed), lane, |s, row, at| {
                        let o = s * n * m + at * m;
                        dst[o..o + m].copy_from_slice(row);
                    });
                    lane.packed_v = packed;
                });
        }
        Ok(())
    }

    /// J v over `rows` in chunks for the r tangents packed in `packed`; calls
    /// `write(s, outputs, i)` with tangent s's outputs at point i (counted from `rows.start`).
    fn jvp_rows(
        &self,
        theta: &[f64],
        fwd: &MlpForward,
        rows: Range<usize>,
        (r, packed): (usize, &[f64]),
        lane: &mut Lane,
        mut write: impl FnMut(usize, &[f64], usize),
    ) {
        let m = self.outputs();
        let nc = self.chunk_len(r);
        let mut start = rows.start;
        while start < rows.end {
            let end = (start + nc).min(rows.end);
            self.jvp_chunk(theta, fwd, start..end, r, packed, lane);
            for (i, row) in lane.du[..(end - start) * r * m]
                .chunks_exact(r * m)
                .enumerate()
            {
                for s in 0..r {
                    write(s, &row[s * m..(s + 1) * m], start - rows.start + i);
                }
            }
            start = end;
        }
    }

    /// Jᵀ w: the gradient of Σᵢ wᵢ·u(xᵢ) with respect to θ for an output cotangent `w`
    /// (n × m row-major), written into `grad` (length p).
    ///
    /// # Errors
    /// [`NnError::Length`](crate::NnError::Length) for wrong lengths,
    /// [`NnError::WorkspaceMismatch`](crate::NnError::WorkspaceMismatch) if `fwd` holds no
    /// forward pass of this network.
    pub fn vjp(
        &self,
        theta: &[f64],
        fwd: &MlpForward,
        w: &[f64],
        grad: &mut [f64],
        ws: &mut MlpWorkspace,
    ) -> Result<()> {
        let n = self.check_linearization(theta, fwd)?;
        let (p, m) = (self.num_params(), self.outputs());
        check_len("output cotangent", n * m, w.len())?;
        check_len("gradient", p, grad.len())?;
        let nc = self.chunk_len(1);
        let k = point_lanes(n);
        let lanes = ws.lanes(k);
        lanes.par_iter_mut().enumerate().for_each(|(i, lane)| {
            let rows = part(n, k, i);
            grow(&mut lane.packed_g, p);
            lane.packed_g[..p].fill(0.0);
            let mut start = rows.start;
            while start < rows.end {
                let end = (start + nc).min(rows.end);
                grow(&mut lane.du, (end - start) * m);
                lane.du[..(end - start) * m].copy_from_slice(&w[start * m..end * m]);
                let mut g = core::mem::take(&mut lane.packed_g);
                self.vjp_chunk(theta, fwd, start..end, 1, &mut g, lane);
                lane.packed_g = g;
                start = end;
            }
        });
        // with one tangent the packed layout is the parameter layout
        reduce_lanes(lanes, p, grad);
        Ok(())
    }

    /// Jᵀ W for r output cotangents: column s of `w` (`w[s·n·m..]`, n × m row-major) gives
    /// column s of `grad` (`grad[s·p..]`). The columns are split across lanes.
    ///
    /// # Errors
    /// [`NnError::Length`](crate::NnError::Length) for wrong lengths,
    /// [`NnError::WorkspaceMismatch`](crate::NnError::WorkspaceMismatch) if `fwd` holds no
    /// forward pass of this network.
    pub fn vjp_block(
        &self,
        theta: &[f64],
        fwd: &MlpForward,
        w: &[f64],
        r: usize,
        grad: &mut [f64],
        ws: &mut MlpWorkspace,
    ) -> Result<()> {
        let n = self.check_linearization(theta, fwd)?;
        let (p, m) = (self.num_params(), self.outputs());
        check_len("output cotangent block", r * n * m, w.len())?;
        check_len("gradient block", r * p, grad.len())?;
        if r == 0 {
            return Ok(());
        }
        let k = r.min(LANES);
        let lanes = ws.lanes(k);
        lanes.par_iter_mut().enumerate().for_each(|(i, lane)| {
            let cols = part(r, k, i);
            let rc = cols.len();
            grow(&mut lane.packed_g, self.packed_len(rc));
            lane.packed_g[..rc * p].fill(0.0);
            let nc = self.chunk_len(rc);
            let mut start = 0;
            while start < n {
                let end = (start + nc).min(n);
                grow(&mut lane.du, (end - start) * rc * m);
                for i in start..end {
                    for (s, c) in cols.clone().enumerate() {
                        let o = ((i - start) * rc + s) * m;
                        lane.du[o..o + m]
                            .copy_from_slice(&w[c * n * m + i * m..c * n * m + (i + 1) * m]);
                    }
                }
                let mut g = core::mem::take(&mut lane.packed_g);
                self.vjp_chunk(theta, fwd, start..end, rc, &mut g, lane);
                lane.packed_g = g;
                start = end;
            }
        });
        for (i, lane) in lanes.iter().enumerate() {
            self.unpack(&lane.packed_g, part(r, k, i), grad);
        }
        Ok(())
    }
}

/// Where an [`Mlp`]'s block of a larger dense Jacobian sits (several networks side by side):
/// output o of row i is Jacobian row `i·outputs + first_output + o`, parameter j is column
/// `first_column + j`, and Jacobian rows have `columns` entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JacobianBlock {
    /// Outputs per row of the whole model.
    pub outputs: usize,
    /// The first of this network's outputs.
    pub first_output: usize,
    /// Columns of the whole Jacobian (the whole model's parameters).
    pub columns: usize,
    /// The column of this network's first parameter.
    pub first_column: usize,
}

impl Mlp {
    /// Writes the dense Jacobian ∂uᵢ,ₒ/∂θ of the rows cached in `fwd` into its block `at` of
    /// `out` (reverse mode per output over all rows, O(n·outputs·p) work); entries outside
    /// the block are left as they are.
    ///
    /// # Errors
    /// [`NnError::WorkspaceMismatch`](crate::NnError::WorkspaceMismatch) if `fwd` holds no
    /// forward pass of this network, [`NnError::Length`](crate::NnError::Length) if θ has the
    /// wrong length or `out` is not n·`at.outputs` × `at.columns`,
    /// [`NnError::Config`](crate::NnError::Config) if the block does not fit in it.
    pub fn jacobian(
        &self,
        theta: &[f64],
        fwd: &MlpForward,
        at: JacobianBlock,
        out: &mut [f64],
    ) -> Result<()> {
        let n = self.check_linearization(theta, fwd)?;
        let (mt, p) = (self.outputs(), self.num_params());
        check_len("dense Jacobian", n * at.outputs * at.columns, out.len())?;
        if at.first_output + mt > at.outputs || at.first_column + p > at.columns {
            return Err(crate::error::invalid(
                "Jacobian block",
                format!("{at:?}"),
                &format!("room for {mt} outputs and {p} parameters"),
            ));
        }
        let depth = self.layers.len() - 1;
        let head = self.layers[depth];
        let w = head.n_in;
        let mut abar = vec![0.0; n * w];
        let mut next = Vec::new();
        for o in 0..mt {
            let row_of = |i: usize| {
                let r = (i * at.outputs + at.first_output + o) * at.columns + at.first_column;
                r..r + p
            };
            for i in 0..n {
                let b = fwd.scale[i];
                let row = &mut out[row_of(i)];
                let a = &fwd.acts[depth][i * w..(i + 1) * w];
                for c in 0..w {
                    row[head.w + o * w + c] = b * a[c];
                    abar[i * w + c] = b * theta[head.w + o * w + c];
                }
                row[head.b + o] = b;
            }
            for l in (0..depth).rev() {
                let layer = self.layers[l];
                let (nin, nout) = (layer.n_in, layer.n_out);
                for (zr, sr) in abar
                    .chunks_exact_mut(nout)
                    .zip(fwd.sder[l].chunks_exact(nout))
                {
                    for (z, s) in zr.iter_mut().zip(sr) {
                        *z *= s;
                    }
                }
                for i in 0..n {
                    let row = &mut out[row_of(i)];
                    let a = &fwd.acts[l][i * nin..(i + 1) * nin];
                    let z = &abar[i * nout..(i + 1) * nout];
                    for (r, &zr) in z.iter().enumerate() {
                        let dst = &mut row[layer.w + r * nin..layer.w + (r + 1) * nin];
                        for (d, &ac) in dst.iter_mut().zip(a) {
                            *d = zr * ac;
                        }
                        row[layer.b + r] = zr;
                    }
                }
                if l > 0 {
                    next.resize(n * nin, 0.0);
                    gemm(
                        rm_mut(&mut next, n, nin),
                        Accum::Replace,
                        rm(&abar, n, nout),
                        rm(&theta[layer.w..layer.b], nout, nin),
                        1,
                    );
                    core::mem::swap(&mut abar, &mut next);
                }
            }
            abar.resize(n * w, 0.0);
        }
        Ok(())
    }
}
