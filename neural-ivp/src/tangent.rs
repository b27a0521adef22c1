//! One trunk's value on a batch of points, cached, and its parameter derivatives: J v
//! (forward mode in θ), Jᵀ w (reverse mode in θ) and the Gauss–Newton product Jᵀ J v, for one
//! tangent or a block of r tangents at once.
//!
//! J is never formed. A block of r tangents is packed layer by layer into stacked weight
//! matrices so that every layer costs two large GEMMs in each direction: with the tangent
//! activations of a chunk of points stored point-major (`nc × r·w`, which is also the
//! row-major `nc·r × w` matrix of all tangents), the propagated part is one product with the
//! layer's weights and the direct part one product of the cached activations with the stacked
//! tangent weights. The cost of a product with r tangents over n points is ≈ 4·n·r·p
//! multiply–adds, linear in the number of parameters p.

use core::ops::Range;

use faer::Accum;
use rayon::prelude::*;

use crate::error::{Result, check_len};
use crate::trunk::Trunk;
use prdp_nn::gemm::{gemm, rm, rm_mut};

/// Target size (in f64 entries) of one tangent buffer of a point chunk.
const CHUNK_BUDGET: usize = 1 << 20;

/// One trunk evaluated on a batch of points, with everything its parameter derivatives need:
/// the input of every layer, σ′ of every hidden pre-activation, the Dirichlet factor and the
/// outputs. Reused across calls (buffers only grow).
#[derive(Debug, Clone, Default)]
pub(crate) struct TrunkForward {
    pub n: usize,
    /// `acts[l]` is the input of layer l (`acts[0]` the embedding, `acts[depth]` the head's).
    pub acts: Vec<Vec<f64>>,
    /// `sder[l]` is σ′(z_l) of hidden layer l.
    pub sder: Vec<Vec<f64>>,
    /// B(x) per point (times the row scales of [`crate::Forward::scale_rows`]).
    pub bc: Vec<f64>,
    /// The trunk's outputs u = B·g, n × m_trunk row-major.
    pub out: Vec<f64>,
}

/// Scratch memory for the parameter derivatives: up to 8 lanes (run in parallel), each
/// with its own tangent buffers and gradient accumulator. Grows to the largest problem and is
/// then reused.
#[derive(Debug, Clone, Default)]
pub struct TangentWorkspace {
    lanes: Vec<Lane>,
    /// A trunk's slice of gathered operands, for networks of several trunks.
    pub(crate) gather: Vec<f64>,
    /// A trunk's results before they are scattered into the network's layout.
    pub(crate) scatter: Vec<f64>,
}

impl TangentWorkspace {
    /// An empty workspace.
    pub fn new() -> Self {
        Self::default()
    }
}

#[derive(Debug, Clone, Default)]
struct Lane {
    buf1: Vec<f64>,
    buf2: Vec<f64>,
    du: Vec<f64>,
    packed_v: Vec<f64>,
    packed_g: Vec<f64>,
}

fn grow(v: &mut Vec<f64>, len: usize) {
    if v.len() < len {
        v.resize(len, 0.0);
    }
}

/// The most lanes a product is split into. The split depends only on the problem's size (never
/// on the number of threads), and lane results are reduced in lane order, so every product is
/// bit-identical for any thread count.
pub(crate) const LANES: usize = 8;

/// The fewest points a lane of a point-split product gets.
const MIN_LANE_POINTS: usize = 32;

/// The number of lanes of a product over `n` points (one tangent).
pub(crate) fn point_lanes(n: usize) -> usize {
    (n / MIN_LANE_POINTS).clamp(1, LANES)
}

/// Part `i` of `0..n` split into `parts` balanced contiguous ranges.
pub(crate) fn part(n: usize, parts: usize, i: usize) -> Range<usize> {
    n * i / parts..n * (i + 1) / parts
}

impl TangentWorkspace {
    /// The first `k` lanes, created if missing.
    fn lanes(&mut self, k: usize) -> &mut [Lane] {
        if self.lanes.len() < k {
            self.lanes.resize_with(k, Lane::default);
        }
        &mut self.lanes[..k]
    }
}

/// `s` (`items` items of `per` entries) cut into the `k` slices of [`part`]`(items, k, i)`.
pub(crate) fn split_parts(s: &mut [f64], items: usize, k: usize, per: usize) -> Vec<&mut [f64]> {
    let mut rest = s;
    (0..k)
        .map(|i| {
            let (mine, tail) =
                core::mem::take(&mut rest).split_at_mut(part(items, k, i).len() * per);
            rest = tail;
            mine
        })
        .collect()
}

/// out ← Σ_lanes `lane.packed_g[..p]`, summed in lane order.
fn reduce_lanes(lanes: &[Lane], p: usize, out: &mut [f64]) {
    out.copy_from_slice(&lanes[0].packed_g[..p]);
    for lane in &lanes[1..] {
        for (o, &g) in out.iter_mut().zip(&lane.packed_g[..p]) {
            *o += g;
        }
    }
}

impl Trunk {
    /// Evaluates the network at `points` (n × d row-major) and caches what J v and Jᵀ w need.
    ///
    /// # Errors
    /// [`crate::IvpError::Length`] if θ or the points have the wrong length.
    pub(crate) fn forward(
        &self,
        theta: &[f64],
        points: &[f64],
        fwd: &mut TrunkForward,
    ) -> Result<()> {
        self.check_params(theta)?;
        let n = self.check_points(points)?;
        let depth = self.layers.len() - 1;
        let m = self.outputs();
        fwd.n = n;
        fwd.acts.resize(depth + 1, Vec::new());
        fwd.sder.resize(depth, Vec::new());
        fwd.acts[0].resize(n * self.features(), 0.0);
        self.embed(points, &mut fwd.acts[0]);
        let act = self.config().activation;
        for l in 0..depth {
            let layer = self.layers[l];
            let (lo, hi) = fwd.acts.split_at_mut(l + 1);
            let input = &lo[l];
            let z = &mut hi[0];
            z.resize(n * layer.n_out, 0.0);
            let w = rm(&theta[layer.w..layer.b], layer.n_out, layer.n_in);
            gemm(
                rm_mut(z, n, layer.n_out),
                Accum::Replace,
                rm(input, n, layer.n_in),
                w.transpose(),
                rayon::current_num_threads(),
            );
            let sd = &mut fwd.sder[l];
            sd.resize(n * layer.n_out, 0.0);
            let bias = &theta[layer.b..layer.b + layer.n_out];
            for zr in z.chunks_exact_mut(layer.n_out) {
                for (zi, &bi) in zr.iter_mut().zip(bias) {
                    *zi += bi;
                }
            }
            act.forward_with_derivative(z, sd);
        }
        let head = self.layers[depth];
        fwd.out.resize(n * m, 0.0);
        gemm(
            rm_mut(&mut fwd.out, n, m),
            Accum::Replace,
            rm(&fwd.acts[depth], n, head.n_in),
            rm(&theta[head.w..head.b], m, head.n_in).transpose(),
            rayon::current_num_threads(),
        );
        fwd.bc.resize(n, 0.0);
        let d = self.dim();
        let bias = &theta[head.b..head.b + m];
        for ((row, bc), x) in fwd
            .out
            .chunks_exact_mut(m)
            .zip(fwd.bc.iter_mut())
            .zip(points.chunks_exact(d))
        {
            *bc = self.bump(x);
            for (u, &b) in row.iter_mut().zip(bias) {
                *u = *bc * (*u + b);
            }
        }
        Ok(())
    }

    /// Length of a packed block of r tangents (r·p).
    fn packed_len(&self, r: usize) -> usize {
        r * self.num_params()
    }

    /// Packs r tangents (column s of `v` at `v[s·p..]`, columns `cols`) layer by layer: for layer
    /// l the stacked weights `[r, out, in]`, then the stacked biases `[r, out]`.
    fn pack(&self, v: &[f64], cols: Range<usize>, packed: &mut [f64]) {
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

    /// Inverse of [`Trunk::pack`]: writes packed gradients into the columns `cols` of `g`.
    fn unpack(&self, packed: &[f64], cols: Range<usize>, g: &mut [f64]) {
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
    fn chunk_len(&self, r: usize) -> usize {
        let widest = self.widest_layer();
        (CHUNK_BUDGET / (r * widest)).clamp(8, 4096)
    }

    /// Tangent outputs of the points `rows` for r packed tangents: `du` ← (J v) as
    /// `nc × r·m` (point-major).
    fn jvp_chunk(
        &self,
        theta: &[f64],
        fwd: &TrunkForward,
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
                let bc = &fwd.bc[rows.clone()];
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

    /// Adds the packed parameter cotangents of the points `rows` for r output cotangents given
    /// in `lane.du` (`nc × r·m`, point-major; overwritten) into `packed_g`.
    fn vjp_chunk(
        &self,
        theta: &[f64],
        fwd: &TrunkForward,
        rows: Range<usize>,
        r: usize,
        packed_g: &mut [f64],
        lane: &mut Lane,
    ) {
        let nc = rows.len();
        let depth = self.layers.len() - 1;
        let m = self.outputs();
        let widest = self.widest_layer();
        grow(&mut lane.buf1, nc * r * widest);
        grow(&mut lane.buf2, nc * r * widest);
        // offsets of each layer's packed weights and biases
        let mut offs = Vec::with_capacity(self.layers.len());
        let mut off = 0;
        for layer in &self.layers {
            offs.push((off, off + r * layer.n_out * layer.n_in));
            off += r * layer.n_out * (layer.n_in + 1);
        }
        {
            let bc = &fwd.bc[rows.clone()];
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
            let (wo, bo) = offs[l];
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

    fn check_linearization(&self, theta: &[f64], fwd: &TrunkForward) -> Result<usize> {
        self.check_params(theta)?;
        check_len(
            "forward cache outputs",
            fwd.n * self.outputs(),
            fwd.out.len(),
        )?;
        if fwd.acts.len() != self.layers.len() {
            return Err(crate::IvpError::Length {
                what: "forward cache layers (evaluate this network first)".into(),
                expected: self.layers.len(),
                got: fwd.acts.len(),
            });
        }
        Ok(fwd.n)
    }

    /// J V for r tangents: column s of `v` is `v[s·p..(s+1)·p]`; column s of the result,
    /// `out[s·n·m..]`, is J v_s as n × m row-major.
    ///
    /// # Errors
    /// [`crate::IvpError::Length`] for wrong lengths.
    pub(crate) fn jvp_block(
        &self,
        theta: &[f64],
        fwd: &TrunkForward,
        v: &[f64],
        r: usize,
        out: &mut [f64],
        ws: &mut TangentWorkspace,
    ) -> Result<()> {
        let n = self.check_linearization(theta, fwd)?;
        let (p, m) = (self.num_params(), self.outputs());
        check_len("tangent block", r * p, v.len())?;
        check_len("J v output", r * n * m, out.len())?;
        if n == 0 || r == 0 {
            return Ok(());
        }
        if r == 1 {
            // lanes over points; each writes its own rows of `out`
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
        fwd: &TrunkForward,
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
    /// [`crate::IvpError::Length`] for wrong lengths.
    pub(crate) fn vjp(
        &self,
        theta: &[f64],
        fwd: &TrunkForward,
        w: &[f64],
        grad: &mut [f64],
        ws: &mut TangentWorkspace,
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
    /// column s of `grad` (`grad[s·p..]`). The columns are split across two lanes.
    ///
    /// # Errors
    /// [`crate::IvpError::Length`] for wrong lengths.
    pub(crate) fn vjp_block(
        &self,
        theta: &[f64],
        fwd: &TrunkForward,
        w: &[f64],
        r: usize,
        grad: &mut [f64],
        ws: &mut TangentWorkspace,
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

    /// Jᵀ J V, summed over the cached points (not divided by n), for r tangents (columns of
    /// `v` and `out` as in [`Trunk::jvp_block`]).
    ///
    /// With r = 1 the points are split into two lanes with separate accumulators; with r > 1
    /// the tangent columns are split instead. Either way the result does not depend on the
    /// number of threads.
    ///
    /// # Errors
    /// [`crate::IvpError::Length`] for wrong lengths.
    pub(crate) fn gauss_newton_block(
        &self,
        theta: &[f64],
        fwd: &TrunkForward,
        v: &[f64],
        r: usize,
        out: &mut [f64],
        ws: &mut TangentWorkspace,
    ) -> Result<()> {
        let n = self.check_linearization(theta, fwd)?;
        let p = self.num_params();
        check_len("tangent block", r * p, v.len())?;
        check_len("Gauss–Newton output block", r * p, out.len())?;
        if r == 0 {
            return Ok(());
        }
        if r == 1 {
            let nc = self.chunk_len(1);
            let k = point_lanes(n);
            let lanes = ws.lanes(k);
            // with one tangent the packed layout is the parameter layout: the lanes read v
            lanes.par_iter_mut().enumerate().for_each(|(i, lane)| {
                grow(&mut lane.packed_g, p);
                lane.packed_g[..p].fill(0.0);
                self.gn_rows(theta, fwd, part(n, k, i), (1, v), nc, lane);
            });
            reduce_lanes(lanes, p, out);
        } else {
            let k = r.min(LANES);
            let lanes = ws.lanes(k);
            lanes.par_iter_mut().enumerate().for_each(|(i, lane)| {
                let cols = part(r, k, i);
                let rc = cols.len();
                let mut packed = core::mem::take(&mut lane.packed_v);
                grow(&mut packed, self.packed_len(rc));
                self.pack(v, cols, &mut packed);
                grow(&mut lane.packed_g, self.packed_len(rc));
                lane.packed_g[..rc * p].fill(0.0);
                let nc = self.chunk_len(rc);
                self.gn_rows(theta, fwd, 0..n, (rc, &packed), nc, lane);
                lane.packed_v = packed;
            });
            for (i, lane) in lanes.iter().enumerate() {
                self.unpack(&lane.packed_g, part(r, k, i), out);
            }
        }
        Ok(())
    }

    /// Jᵀ J over `rows` in chunks of `nc` for the r tangents packed in `pv`, accumulated into
    /// `lane.packed_g`.
    fn gn_rows(
        &self,
        theta: &[f64],
        fwd: &TrunkForward,
        rows: Range<usize>,
        (r, pv): (usize, &[f64]),
        nc: usize,
        lane: &mut Lane,
    ) {
        let mut pg = core::mem::take(&mut lane.packed_g);
        let mut start = rows.start;
        while start < rows.end {
            let end = (start + nc).min(rows.end);
            self.jvp_chunk(theta, fwd, start..end, r, pv, lane);
            self.vjp_chunk(theta, fwd, start..end, r, &mut pg, lane);
            start = end;
        }
        lane.packed_g = pg;
    }
}
