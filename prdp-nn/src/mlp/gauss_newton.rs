//! The Gauss–Newton product Jᵀ J V of an [`Mlp`] from cached output sensitivities.
//!
//! For one row x the derivative of output o with respect to the weights of layer l is rank one:
//! ∂u_o/∂W_l = s·δ_l⁽ᵒ⁾ a_lᵀ, with a_l the layer's input, s the row factor and
//! δ_l⁽ᵒ⁾ = ∂(W_h a_h + b_h)_o / ∂z_l the sensitivity of the unscaled output to the layer's
//! pre-activation (for the head, the unit vector e_o). So, for a tangent V,
//!
//! - (J V)_o = s·Σ_l δ_l⁽ᵒ⁾ · (V_l a_l + v_l): one GEMM per layer (A_l V_lᵀ) and a contraction,
//! - Jᵀ C = Σ over rows of Z_l a_lᵀ with Z_l = s·Σ_o c_o δ_l⁽ᵒ⁾: one GEMM per layer (Z_lᵀ A_l),
//!
//! and nothing is propagated through the layers. With the sensitivities computed once per
//! forward pass (one reverse pass per output, reused by every product at that linearisation,
//! as CG and the Nyström sketch apply it), a product costs ≈ 2·n·p multiply–adds, half of
//! propagating the tangent forward and the cotangent back (4·n·p, what `jax.linearize` and its
//! transpose do).

use core::ops::Range;

use faer::Accum;
use prdp_core::kernels;
use rayon::prelude::*;

use super::tangent::{Lane, grow, reduce_lanes};
use super::{Mlp, MlpForward, MlpWorkspace};
use crate::error::{Result, check_len};
use crate::gemm::{gemm, rm, rm_mut};
use crate::lanes::{LANES, part, point_lanes};

/// Multiply–adds of one GEMM through the widest layer (n·w²) from which a single-tangent
/// product runs over all rows at once with every GEMM split across the threads; below it the
/// rows are split into lanes, one thread each, with their own accumulators. Measured with
/// `cargo bench -p neural-ivp -- gauss_newton_product` (n = 1000, 2 cores): lanes 0.46 ms
/// against 0.95 ms at w = 56, 3.5–4.3 against 4.1 ms at w = 180, 35 against 31 ms at w = 560.
const ALL_ROWS_MACS: usize = 1 << 26;

/// The output sensitivities δ_l⁽ᵒ⁾ of every hidden layer at the rows of one forward pass, kept
/// in an [`MlpWorkspace`] and recomputed when the forward pass changes.
#[derive(Debug, Clone, Default)]
pub(super) struct Sensitivities {
    /// The [`MlpForward`] they belong to (0: none).
    of: u64,
    /// Per hidden layer: row by row, output by output, the layer's `n_out` entries.
    layers: Vec<Vec<f64>>,
}

impl Mlp {
    /// Computes the sensitivities of the rows of `fwd` into `sens`, unless they are those of
    /// this forward pass already: one reverse pass for all outputs of all rows at once.
    fn sensitivities(&self, theta: &[f64], fwd: &MlpForward, sens: &mut Sensitivities) {
        if fwd.id != 0 && sens.of == fwd.id {
            return;
        }
        let (n, m) = (fwd.n, self.outputs());
        let depth = self.layers.len() - 1;
        let threads = rayon::current_num_threads();
        sens.layers.resize_with(depth, Vec::new);
        for (d, layer) in sens.layers.iter_mut().zip(&self.layers) {
            grow(d, n * m * layer.n_out);
        }
        if depth > 0 {
            // the last hidden layer: δ⁽ᵒ⁾ = W_h[o, :] ⊙ σ′
            let head = self.layers[depth];
            let w = head.n_in;
            let wh = &theta[head.w..head.b];
            let rows = sens.layers[depth - 1][..n * m * w].chunks_exact_mut(m * w);
            for (row, s) in rows.zip(fwd.sder[depth - 1].chunks_exact(w)) {
                for (d, who) in row.chunks_exact_mut(w).zip(wh.chunks_exact(w)) {
                    for ((d, &wv), &sv) in d.iter_mut().zip(who).zip(s) {
                        *d = wv * sv;
                    }
                }
            }
        }
        // δ_{l−1} = (δ_l W_l) ⊙ σ′_{l−1}, all outputs of all rows as one (n·m × n_out) matrix
        for l in (1..depth).rev() {
            let layer = self.layers[l];
            let (nin, nout) = (layer.n_in, layer.n_out);
            let (lo, hi) = sens.layers.split_at_mut(l);
            let dst = &mut lo[l - 1][..n * m * nin];
            gemm(
                rm_mut(dst, n * m, nin),
                Accum::Replace,
                rm(&hi[0][..n * m * nout], n * m, nout),
                rm(&theta[layer.w..layer.b], nout, nin),
                threads,
            );
            for (row, s) in dst
                .chunks_exact_mut(m * nin)
                .zip(fwd.sder[l - 1].chunks_exact(nin))
            {
                for d in row.chunks_exact_mut(nin) {
                    for (d, &sv) in d.iter_mut().zip(s) {
                        *d *= sv;
                    }
                }
            }
        }
        sens.of = fwd.id;
    }

    /// Jᵀ J V, summed over the cached rows (not divided by n), for r tangents: column s of `v`
    /// is `v[s·p..(s+1)·p]` and gives column s of `out`.
    ///
    /// The output sensitivities are computed on the first product at a forward pass and kept
    /// in `ws` for the next ones (θ must be the forward pass's). With r = 1 the rows are split
    /// into lanes with separate accumulators, or, for large layers, every GEMM runs over all
    /// rows with its output blocks split across the threads; with r > 1 the tangent columns
    /// are split into lanes. The choice depends on the sizes only, and the result does not
    /// depend on the number of threads.
    ///
    /// # Errors
    /// [`NnError::Length`](crate::NnError::Length) for wrong lengths,
    /// [`NnError::WorkspaceMismatch`](crate::NnError::WorkspaceMismatch) if `fwd` holds no
    /// forward pass of this network.
    pub fn gauss_newton_block(
        &self,
        theta: &[f64],
        fwd: &MlpForward,
        v: &[f64],
        r: usize,
        out: &mut [f64],
        ws: &mut MlpWorkspace,
    ) -> Result<()> {
        self.check_linearization(theta, fwd)?;
        let p = self.num_params();
        check_len("tangent block", r * p, v.len())?;
        check_len("Gauss–Newton output block", r * p, out.len())?;
        if r == 0 {
            return Ok(());
        }
        let mut sens = core::mem::take(&mut ws.sens);
        self.sensitivities(theta, fwd, &mut sens);
        let n = fwd.n;
        if r == 1 && n * self.widest().pow(2) >= ALL_ROWS_MACS {
            // with one tangent the packed layout is the parameter layout
            out.fill(0.0);
            let threads = rayon::current_num_threads();
            self.gn_rows(fwd, &sens, 0..n, (1, v), out, &mut ws.lanes(1)[0], threads);
        } else if r == 1 {
            let k = point_lanes(n);
            let lanes = ws.lanes(k);
            lanes.par_iter_mut().enumerate().for_each(|(i, lane)| {
                let mut pg = core::mem::take(&mut lane.packed_g);
                grow(&mut pg, p);
                pg[..p].fill(0.0);
                self.gn_rows(fwd, &sens, part(n, k, i), (1, v), &mut pg[..p], lane, 1);
                lane.packed_g = pg;
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
                let mut pg = core::mem::take(&mut lane.packed_g);
                grow(&mut pg, self.packed_len(rc));
                pg[..rc * p].fill(0.0);
                self.gn_rows(fwd, &sens, 0..n, (rc, &packed), &mut pg, lane, 1);
                lane.packed_v = packed;
                lane.packed_g = pg;
            });
            for (i, lane) in lanes.iter().enumerate() {
                self.unpack(&lane.packed_g, part(r, k, i), out);
            }
        }
        ws.sens = sens;
        Ok(())
    }

    /// Jᵀ J over `rows`, in chunks, for the r tangents packed in `pv`, added to the packed
    /// gradients `pg`; the GEMMs run on `threads` threads, the rest on the calling thread.
    #[allow(clippy::too_many_arguments)]
    fn gn_rows(
        &self,
        fwd: &MlpForward,
        sens: &Sensitivities,
        rows: Range<usize>,
        (r, pv): (usize, &[f64]),
        pg: &mut [f64],
        lane: &mut Lane,
        threads: usize,
    ) {
        let depth = self.layers.len() - 1;
        let m = self.outputs();
        let nc = self.chunk_len(r).min(rows.len().max(1));
        grow(&mut lane.buf1, nc * r * self.widest());
        grow(&mut lane.du, nc * r * m);
        let mut start = rows.start;
        while start < rows.end {
            let end = (start + nc).min(rows.end);
            let c = end - start;
            let ju = &mut lane.du[..c * r * m];
            ju.fill(0.0);
            // J V: per layer Y = A_l·[V_l⁽¹⁾ᵀ … V_l⁽ʳ⁾ᵀ] plus the biases, contracted with δ_l
            let mut off = 0;
            for (l, layer) in self.layers.iter().enumerate() {
                let (nin, nout) = (layer.n_in, layer.n_out);
                let pw = &pv[off..off + r * nout * nin];
                let pb = &pv[off + r * nout * nin..off + r * nout * (nin + 1)];
                off += r * nout * (nin + 1);
                let y = &mut lane.buf1[..c * r * nout];
                gemm(
                    rm_mut(y, c, r * nout),
                    Accum::Replace,
                    rm(&fwd.acts[l][start * nin..end * nin], c, nin),
                    rm(pw, r * nout, nin).transpose(),
                    threads,
                );
                // the tangent biases, then the layer's part of J V
                for row in y.chunks_exact_mut(r * nout) {
                    for (yv, &b) in row.iter_mut().zip(pb) {
                        *yv += b;
                    }
                }
                if l == depth {
                    for (j, &yv) in ju.iter_mut().zip(y.iter()) {
                        *j += yv;
                    }
                } else {
                    let delta = &sens.layers[l][start * m * nout..end * m * nout];
                    for ((ju, y), dr) in ju
                        .chunks_exact_mut(r * m)
                        .zip(y.chunks_exact(r * nout))
                        .zip(delta.chunks_exact(m * nout))
                    {
                        for (ju, y) in ju.chunks_exact_mut(m).zip(y.chunks_exact(nout)) {
                            for (j, dl) in ju.iter_mut().zip(dr.chunks_exact(nout)) {
                                *j += kernels::dot(dl, y);
                            }
                        }
                    }
                }
            }
            // the output cotangent C = s²·(J V)/s: the row factor of J and of Jᵀ
            for (row, &s) in ju.chunks_exact_mut(r * m).zip(&fwd.scale[start..end]) {
                let s2 = s * s;
                row.iter_mut().for_each(|j| *j *= s2);
            }
            // Jᵀ C: per layer Z_l = Σ_o c_o δ_l⁽ᵒ⁾, then the gradient Z_lᵀ A_l and Σ Z_l
            let mut off = 0;
            for (l, layer) in self.layers.iter().enumerate() {
                let (nin, nout) = (layer.n_in, layer.n_out);
                let (wo, bo) = (off, off + r * nout * nin);
                off += r * nout * (nin + 1);
                let z: &[f64] = if l == depth {
                    ju
                } else {
                    let z = &mut lane.buf1[..c * r * nout];
                    let delta = &sens.layers[l][start * m * nout..end * m * nout];
                    for ((z, cj), dr) in z
                        .chunks_exact_mut(r * nout)
                        .zip(ju.chunks_exact(r * m))
                        .zip(delta.chunks_exact(m * nout))
                    {
                        for (z, cj) in z.chunks_exact_mut(nout).zip(cj.chunks_exact(m)) {
                            z.fill(0.0);
                            for (&co, dl) in cj.iter().zip(dr.chunks_exact(nout)) {
                                kernels::axpy(co, dl, z);
                            }
                        }
                    }
                    z
                };
                gemm(
                    rm_mut(&mut pg[wo..wo + r * nout * nin], r * nout, nin),
                    Accum::Add,
                    rm(z, c, r * nout).transpose(),
                    rm(&fwd.acts[l][start * nin..end * nin], c, nin),
                    threads,
                );
                let gb = &mut pg[bo..bo + r * nout];
                for row in z.chunks_exact(r * nout) {
                    for (g, &zv) in gb.iter_mut().zip(row) {
                        *g += zv;
                    }
                }
            }
            start = end;
        }
    }
}
