//! The network's value and parameter derivatives composed from its trunks: each trunk computes
//! its outputs from its own slice of θ, so J v, Jᵀ w and Jᵀ J v are gathered per trunk and
//! scattered back into the network's layout (n × m outputs, p parameters). A network of one
//! trunk calls it directly.

use prdp_nn::{MlpForward, MlpWorkspace};

use crate::error::{Result, check_len};
use crate::network::Network;

/// Scratch memory for the parameter derivatives of a [`Network`]: the trunks' MLP workspace
/// and, for networks of several trunks, the gathered operands and results of one trunk. Grows
/// to the largest problem and is then reused.
#[derive(Debug, Clone, Default)]
pub struct TangentWorkspace {
    pub(crate) mlp: MlpWorkspace,
    gather: Vec<f64>,
    scatter: Vec<f64>,
}

impl TangentWorkspace {
    /// An empty workspace.
    pub fn new() -> Self {
        Self::default()
    }
}

/// The network evaluated on a batch of points, with everything J v and Jᵀ w need (per trunk:
/// the input of every layer, σ′ of every hidden pre-activation, the Dirichlet factor). Reused
/// across calls (buffers only grow).
#[derive(Debug, Clone, Default)]
pub struct Forward {
    n: usize,
    /// One cache per trunk.
    pub(crate) parts: Vec<MlpForward>,
    /// The outputs of a network of several trunks, n × m row-major.
    out: Vec<f64>,
}

impl Forward {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of points of the last evaluation.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether no points have been evaluated.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The outputs u(xᵢ), n × m row-major.
    pub fn output(&self) -> &[f64] {
        match self.parts.as_slice() {
            [one] => one.output(),
            _ => &self.out,
        }
    }

    /// The head's input features Φ(xᵢ) of trunk `k` (its last hidden layer), n × width
    /// row-major.
    ///
    /// # Panics
    /// If `k` is not a trunk of the evaluated network.
    pub fn features(&self, k: usize) -> &[f64] {
        self.parts[k].features()
    }

    /// The Dirichlet factor B(xᵢ) per point, times the row scale of
    /// [`Forward::scale_rows`] if one was applied.
    pub fn bump(&self) -> &[f64] {
        self.parts.first().map_or(&[], |p| p.scale())
    }

    /// Scales every point's Jacobian row by sᵢ (square roots of importance weights): the
    /// parameter derivatives that use this cache (J v, Jᵀ w, Gauss–Newton products, the dense
    /// Jacobian) then see sᵢ Jᵢ; the outputs are unchanged. Folded into the Dirichlet factor,
    /// on which every row of J depends linearly, so it costs nothing per product.
    ///
    /// # Errors
    /// [`crate::IvpError::Length`] unless `s` has one entry per cached point.
    pub fn scale_rows(&mut self, s: &[f64]) -> Result<()> {
        check_len("row scales", self.n, s.len())?;
        for part in &mut self.parts {
            part.scale_mut()
                .iter_mut()
                .zip(s)
                .for_each(|(b, &si)| *b *= si);
        }
        Ok(())
    }
}

/// Copies the columns `first..first + cols` of the rows of length `m` of `src` into the
/// rows of length `cols` of `dst` (as many rows as `dst` holds).
fn gather_columns(src: &[f64], m: usize, first: usize, cols: usize, dst: &mut [f64]) {
    for (d, s) in dst.chunks_exact_mut(cols).zip(src.chunks_exact(m)) {
        d.copy_from_slice(&s[first..first + cols]);
    }
}

/// Inverse of [`gather_columns`].
fn scatter_columns(src: &[f64], m: usize, first: usize, cols: usize, dst: &mut [f64]) {
    for (s, d) in src.chunks_exact(cols).zip(dst.chunks_exact_mut(m)) {
        d[first..first + cols].copy_from_slice(s);
    }
}

/// Copies the slice `range` of each of the `r` columns (length `p`) of `src` into `dst`
/// (`r` contiguous columns of `range.len()`).
fn gather_params(src: &[f64], p: usize, range: core::ops::Range<usize>, dst: &mut [f64]) {
    for (d, s) in dst.chunks_exact_mut(range.len()).zip(src.chunks_exact(p)) {
        d.copy_from_slice(&s[range.clone()]);
    }
}

/// Inverse of [`gather_params`].
fn scatter_params(src: &[f64], p: usize, range: core::ops::Range<usize>, dst: &mut [f64]) {
    for (s, d) in src.chunks_exact(range.len()).zip(dst.chunks_exact_mut(p)) {
        d[range.clone()].copy_from_slice(s);
    }
}

fn grown(v: &mut Vec<f64>, len: usize) -> Vec<f64> {
    let mut v = core::mem::take(v);
    if v.len() < len {
        v.resize(len, 0.0);
    }
    v
}

impl Network {
    /// Evaluates the network at `points` (n × d row-major) and caches what J v and Jᵀ w need.
    ///
    /// # Errors
    /// [`crate::IvpError::Length`] if θ or the points have the wrong length.
    pub fn forward(&self, theta: &[f64], points: &[f64], fwd: &mut Forward) -> Result<()> {
        self.check_params(theta)?;
        let n = self.check_points(points)?;
        let m = self.outputs();
        fwd.parts.resize_with(self.trunks(), MlpForward::default);
        for (k, part) in fwd.parts.iter_mut().enumerate() {
            self.trunk(k)
                .forward(&theta[self.trunk_params(k)], points, part)?;
        }
        fwd.n = n;
        if self.trunks() > 1 {
            fwd.out.resize(n * m, 0.0);
            for (k, part) in fwd.parts.iter().enumerate() {
                let o = self.trunk_outputs(k);
                scatter_columns(part.output(), m, o.start, o.len(), &mut fwd.out);
            }
        }
        Ok(())
    }

    /// Evaluates u(xᵢ) at `points` into `out` (n × m row-major), allocating a cache.
    ///
    /// # Errors
    /// [`crate::IvpError::Length`] for wrong lengths.
    pub fn eval(&self, theta: &[f64], points: &[f64], out: &mut [f64]) -> Result<()> {
        let mut fwd = Forward::new();
        self.forward(theta, points, &mut fwd)?;
        check_len("network output buffer", fwd.output().len(), out.len())?;
        out.copy_from_slice(fwd.output());
        Ok(())
    }

    /// Checks θ and that `fwd` is a cache of this network; returns its number of points.
    pub(crate) fn check_linearization(&self, theta: &[f64], fwd: &Forward) -> Result<usize> {
        self.check_params(theta)?;
        check_len(
            "forward cache trunks (evaluate this network first)",
            self.trunks(),
            fwd.parts.len(),
        )?;
        Ok(fwd.len())
    }

    /// J v: the directional derivative of the outputs at the cached points along `v` (length
    /// p), into `out` (n × m row-major).
    ///
    /// # Errors
    /// [`crate::IvpError::Length`] for wrong lengths.
    pub fn jvp(
        &self,
        theta: &[f64],
        fwd: &Forward,
        v: &[f64],
        out: &mut [f64],
        ws: &mut TangentWorkspace,
    ) -> Result<()> {
        self.jvp_block(theta, fwd, v, 1, out, ws)
    }

    /// J V for r tangents: column s of `v` is `v[s·p..(s+1)·p]`; column s of the result,
    /// `out[s·n·m..]`, is J v_s as n × m row-major.
    ///
    /// # Errors
    /// [`crate::IvpError::Length`] for wrong lengths.
    pub fn jvp_block(
        &self,
        theta: &[f64],
        fwd: &Forward,
        v: &[f64],
        r: usize,
        out: &mut [f64],
        ws: &mut TangentWorkspace,
    ) -> Result<()> {
        let n = self.check_linearization(theta, fwd)?;
        let (p, m) = (self.num_params(), self.outputs());
        check_len("tangent block", r * p, v.len())?;
        check_len("J v output", r * n * m, out.len())?;
        if self.trunks() == 1 {
            let mlp = &self.trunk(0).mlp;
            return Ok(mlp.jvp_block(theta, &fwd.parts[0], v, r, out, &mut ws.mlp)?);
        }
        for k in 0..self.trunks() {
            let (pr, o) = (self.trunk_params(k), self.trunk_outputs(k));
            let mut g = grown(&mut ws.gather, r * pr.len());
            let mut sc = grown(&mut ws.scatter, r * n * o.len());
            gather_params(v, p, pr.clone(), &mut g[..r * pr.len()]);
            let res = self.trunk(k).mlp.jvp_block(
                &theta[pr.clone()],
                &fwd.parts[k],
                &g[..r * pr.len()],
                r,
                &mut sc[..r * n * o.len()],
                &mut ws.mlp,
            );
            scatter_columns(&sc[..r * n * o.len()], m, o.start, o.len(), out);
            ws.gather = g;
            ws.scatter = sc;
            res?;
        }
        Ok(())
    }

    /// Jᵀ w: the gradient of Σᵢ wᵢ·u(xᵢ) with respect to θ for an output cotangent `w`
    /// (n × m row-major), written into `grad` (length p).
    ///
    /// # Errors
    /// [`crate::IvpError::Length`] for wrong lengths.
    pub fn vjp(
        &self,
        theta: &[f64],
        fwd: &Forward,
        w: &[f64],
        grad: &mut [f64],
        ws: &mut TangentWorkspace,
    ) -> Result<()> {
        self.vjp_block(theta, fwd, w, 1, grad, ws)
    }

    /// Jᵀ W for r output cotangents: column s of `w` (`w[s·n·m..]`, n × m row-major) gives
    /// column s of `grad` (`grad[s·p..]`).
    ///
    /// # Errors
    /// [`crate::IvpError::Length`] for wrong lengths.
    pub fn vjp_block(
        &self,
        theta: &[f64],
        fwd: &Forward,
        w: &[f64],
        r: usize,
        grad: &mut [f64],
        ws: &mut TangentWorkspace,
    ) -> Result<()> {
        let n = self.check_linearization(theta, fwd)?;
        let (p, m) = (self.num_params(), self.outputs());
        check_len("output cotangent block", r * n * m, w.len())?;
        check_len("gradient block", r * p, grad.len())?;
        if self.trunks() == 1 {
            return self.vjp_of_trunk(0, theta, fwd, (r, w), grad, ws);
        }
        for k in 0..self.trunks() {
            let pr = self.trunk_params(k);
            let mut sc = grown(&mut ws.scatter, r * pr.len());
            let res = self.vjp_of_trunk(k, theta, fwd, (r, w), &mut sc[..r * pr.len()], ws);
            scatter_params(&sc[..r * pr.len()], p, pr, grad);
            ws.scatter = sc;
            res?;
        }
        Ok(())
    }

    /// Jᵀ W restricted to trunk `k`: from the r cotangents `w` of all outputs (r blocks of
    /// n × m) to the gradients of the trunk's parameters (r contiguous columns in `grad`).
    pub(crate) fn vjp_of_trunk(
        &self,
        k: usize,
        theta: &[f64],
        fwd: &Forward,
        (r, w): (usize, &[f64]),
        grad: &mut [f64],
        ws: &mut TangentWorkspace,
    ) -> Result<()> {
        let (n, m) = (fwd.len(), self.outputs());
        let (pr, o) = (self.trunk_params(k), self.trunk_outputs(k));
        let (theta, trunk, part) = (&theta[pr], self.trunk(k), &fwd.parts[k]);
        let mut own = |w: &[f64], ws: &mut MlpWorkspace| {
            if r == 1 {
                trunk.mlp.vjp(theta, part, w, grad, ws)
            } else {
                trunk.mlp.vjp_block(theta, part, w, r, grad, ws)
            }
        };
        if o.len() == m {
            return Ok(own(w, &mut ws.mlp)?);
        }
        let mut g = grown(&mut ws.gather, r * n * o.len());
        gather_columns(w, m, o.start, o.len(), &mut g[..r * n * o.len()]);
        let res = own(&g[..r * n * o.len()], &mut ws.mlp);
        ws.gather = g;
        Ok(res?)
    }

    /// Jᵀ J V, summed over the cached points (not divided by n), for r tangents (columns of
    /// `v` and `out` as in [`Network::jvp_block`]). Block-diagonal over the trunks.
    ///
    /// The result does not depend on the number of threads.
    ///
    /// # Errors
    /// [`crate::IvpError::Length`] for wrong lengths.
    pub fn gauss_newton_block(
        &self,
        theta: &[f64],
        fwd: &Forward,
        v: &[f64],
        r: usize,
        out: &mut [f64],
        ws: &mut TangentWorkspace,
    ) -> Result<()> {
        self.check_linearization(theta, fwd)?;
        let p = self.num_params();
        check_len("tangent block", r * p, v.len())?;
        check_len("Gauss–Newton output block", r * p, out.len())?;
        if self.trunks() == 1 {
            let mlp = &self.trunk(0).mlp;
            return Ok(mlp.gauss_newton_block(theta, &fwd.parts[0], v, r, out, &mut ws.mlp)?);
        }
        for k in 0..self.trunks() {
            let pr = self.trunk_params(k);
            let len = r * pr.len();
            let mut g = grown(&mut ws.gather, len);
            let mut sc = grown(&mut ws.scatter, len);
            gather_params(v, p, pr.clone(), &mut g[..len]);
            let res = self.trunk(k).mlp.gauss_newton_block(
                &theta[pr.clone()],
                &fwd.parts[k],
                &g[..len],
                r,
                &mut sc[..len],
                &mut ws.mlp,
            );
            scatter_params(&sc[..len], p, pr, out);
            ws.gather = g;
            ws.scatter = sc;
            res?;
        }
        Ok(())
    }
}
