//! Exact input derivatives of the network by forward-mode jets: value, gradient and Laplacian
//! (or the full spatial Hessian) of every output at every point, with no finite differences.
//!
//! The jets of the embedding are computed here and propagated through each trunk's MLP by
//! [`prdp_nn::Mlp::jets`]; the Dirichlet factor enters by the product rule.

use core::ops::Range;

use prdp_nn::lanes::{part, point_lanes, split_parts};
pub use prdp_nn::{Derivatives, hessian_index};
use rayon::prelude::*;

use crate::error::Result;
use crate::network::Network;
use crate::trunk::Trunk;

/// Target size (f64 entries) of one jet buffer of a point chunk.
const CHUNK_BUDGET: usize = 1 << 20;

/// Input derivatives of all outputs at a batch of points.
#[derive(Debug, Clone, Default)]
pub struct Jets {
    n: usize,
    m: usize,
    d: usize,
    order: Option<Derivatives>,
    value: Vec<f64>,
    grad: Vec<f64>,
    lap: Vec<f64>,
    hess: Vec<f64>,
}

/// The input derivatives of all outputs at one point.
#[derive(Debug, Clone, Copy)]
pub struct PointJet<'a> {
    d: usize,
    value: &'a [f64],
    grad: &'a [f64],
    lap: &'a [f64],
    hess: &'a [f64],
}

impl<'a> PointJet<'a> {
    /// Builds a jet from its parts (for tests and for problems evaluating known functions):
    /// `value` (m), `grad` (m × d), `lap` (m or empty), `hess` (m × d(d+1)/2 packed, or empty).
    pub fn from_parts(
        d: usize,
        value: &'a [f64],
        grad: &'a [f64],
        lap: &'a [f64],
        hess: &'a [f64],
    ) -> Self {
        Self {
            d,
            value,
            grad,
            lap,
            hess,
        }
    }

    /// Output `o`.
    #[inline]
    pub fn value(&self, o: usize) -> f64 {
        self.value[o]
    }

    /// ∇ of output `o` (length d; empty if not computed).
    #[inline]
    pub fn grad(&self, o: usize) -> &'a [f64] {
        self.grad.get(o * self.d..(o + 1) * self.d).unwrap_or(&[])
    }

    /// Δ of output `o`.
    ///
    /// # Panics
    /// If Laplacians were not computed.
    #[inline]
    pub fn laplacian(&self, o: usize) -> f64 {
        self.lap[o]
    }

    /// ∂²/∂x_j∂x_k of output `o`.
    ///
    /// # Panics
    /// If Hessians were not computed.
    #[inline]
    pub fn hessian(&self, o: usize, j: usize, k: usize) -> f64 {
        let nh = self.d * (self.d + 1) / 2;
        self.hess[o * nh + hessian_index(self.d, j, k)]
    }
}

impl Jets {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether there are no points.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The derivatives computed.
    pub fn order(&self) -> Option<Derivatives> {
        self.order
    }

    /// Values of all outputs, n × m row-major.
    pub fn values(&self) -> &[f64] {
        &self.value
    }

    /// The jet of point `i`.
    pub fn point(&self, i: usize) -> PointJet<'_> {
        let (m, d) = (self.m, self.d);
        let nh = d * (d + 1) / 2;
        let order = self.order.unwrap_or(Derivatives::Value);
        PointJet {
            d,
            value: &self.value[i * m..(i + 1) * m],
            grad: if order >= Derivatives::Gradient {
                &self.grad[i * m * d..(i + 1) * m * d]
            } else {
                &[]
            },
            lap: if order >= Derivatives::Laplacian {
                &self.lap[i * m..(i + 1) * m]
            } else {
                &[]
            },
            hess: if order >= Derivatives::Hessian {
                &self.hess[i * m * nh..(i + 1) * m * nh]
            } else {
                &[]
            },
        }
    }
}

/// Scratch memory of [`Network::jets`] (one set of buffers per lane).
#[derive(Debug, Clone, Default)]
pub struct JetWorkspace {
    lanes: Vec<JetLane>,
}

impl JetWorkspace {
    /// An empty workspace.
    pub fn new() -> Self {
        Self::default()
    }
}

#[derive(Debug, Clone, Default)]
struct JetLane {
    a: Vec<f64>,
    z: Vec<f64>,
    bj: Vec<f64>,
    scratch: Vec<f64>,
}

/// Per-lane output slices, for the network's `stride` outputs per point, of which a trunk
/// writes those from `first` on.
struct JetOut<'a> {
    stride: usize,
    first: usize,
    value: &'a mut [f64],
    grad: &'a mut [f64],
    lap: &'a mut [f64],
    hess: &'a mut [f64],
}

impl Network {
    /// Computes the input derivatives `order` of every output at `points` (n × d row-major).
    ///
    /// # Errors
    /// [`crate::IvpError::Length`] for wrong lengths.
    ///
    /// # Example
    /// ```
    /// use neural_ivp::{Derivatives, JetWorkspace, Jets, Network, NetworkConfig};
    /// let net = Network::new(&NetworkConfig { width: 8, depth: 2, ..Default::default() }, 2, 1)?;
    /// let theta = net.init(0);
    /// let mut jets = Jets::new();
    /// net.jets(&theta, &[0.1, 0.2, -0.3, 0.4], Derivatives::Laplacian, &mut jets, &mut JetWorkspace::new())?;
    /// let p = jets.point(1);
    /// assert_eq!(p.grad(0).len(), 2);
    /// assert!(p.laplacian(0).is_finite());
    /// # Ok::<(), neural_ivp::IvpError>(())
    /// ```
    pub fn jets(
        &self,
        theta: &[f64],
        points: &[f64],
        order: Derivatives,
        jets: &mut Jets,
        ws: &mut JetWorkspace,
    ) -> Result<()> {
        self.check_params(theta)?;
        let n = self.check_points(points)?;
        let (m, d) = (self.outputs(), self.dim());
        let nh = d * (d + 1) / 2;
        jets.n = n;
        jets.m = m;
        jets.d = d;
        jets.order = Some(order);
        let per = |at_least: Derivatives, len: usize| if order >= at_least { len } else { 0 };
        jets.value.resize(n * m, 0.0);
        jets.grad.resize(per(Derivatives::Gradient, n * m * d), 0.0);
        jets.lap.resize(per(Derivatives::Laplacian, n * m), 0.0);
        jets.hess.resize(per(Derivatives::Hessian, n * m * nh), 0.0);
        for k in 0..self.trunks() {
            let first = self.trunk_outputs(k).start;
            self.trunk(k)
                .jets_into(&theta[self.trunk_params(k)], points, order, jets, first, ws);
        }
        Ok(())
    }
}

impl Trunk {
    /// Writes the jets of this trunk's outputs at `points` into `jets` (already sized for all
    /// the network's outputs), as outputs `first..first + self.outputs()`.
    fn jets_into(
        &self,
        theta: &[f64],
        points: &[f64],
        order: Derivatives,
        jets: &mut Jets,
        first: usize,
        ws: &mut JetWorkspace,
    ) {
        let (n, m, d) = (jets.n, jets.m, self.dim());
        let nh = d * (d + 1) / 2;
        let per = |at_least: Derivatives, len: usize| if order >= at_least { len } else { 0 };
        let (gper, lper, hper) = (
            per(Derivatives::Gradient, m * d),
            per(Derivatives::Laplacian, m),
            per(Derivatives::Hessian, m * nh),
        );
        // lanes over points, fixed by n alone (each point's jets are computed independently)
        let k = point_lanes(n);
        let value = split_parts(&mut jets.value, n, k, m);
        let grad = split_parts(&mut jets.grad, n, k, gper);
        let lap = split_parts(&mut jets.lap, n, k, lper);
        let hess = split_parts(&mut jets.hess, n, k, hper);
        let outs = value
            .into_iter()
            .zip(grad)
            .zip(lap)
            .zip(hess)
            .map(|(((value, grad), lap), hess)| JetOut {
                stride: m,
                first,
                value,
                grad,
                lap,
                hess,
            })
            .collect::<Vec<_>>();
        if ws.lanes.len() < k {
            ws.lanes.resize_with(k, JetLane::default);
        }
        ws.lanes[..k]
            .par_iter_mut()
            .zip(outs)
            .enumerate()
            .for_each(|(i, (lane, out))| {
                self.jets_rows(theta, points, part(n, k, i), order, out, lane);
            });
    }

    fn jets_rows(
        &self,
        theta: &[f64],
        points: &[f64],
        rows: Range<usize>,
        order: Derivatives,
        out: JetOut<'_>,
        lane: &mut JetLane,
    ) {
        let (mt, first) = (out.stride, out.first);
        let (m, d) = (self.outputs(), self.dim());
        let nh = d * (d + 1) / 2;
        let c = order.components(d);
        let widest = self.mlp.widest();
        let nc = (CHUNK_BUDGET / (c * widest)).clamp(1, 2048);
        let mut start = rows.start;
        while start < rows.end {
            let end = (start + nc).min(rows.end);
            self.jets_chunk(theta, &points[start * d..end * d], order, lane);
            let k = end - start;
            let o = start - rows.start;
            // lane.z holds the network's head jets (C·k × m), lane.bj the bump jets (k × C)
            for i in 0..k {
                let g = |comp: usize, oo: usize| lane.z[(comp * k + i) * m + oo];
                let bj = &lane.bj[i * c..(i + 1) * c];
                let b = bj[0];
                for oo in 0..m {
                    let gv = g(0, oo);
                    out.value[(o + i) * mt + first + oo] = b * gv;
                    if order >= Derivatives::Gradient {
                        for j in 0..d {
                            out.grad[((o + i) * mt + first + oo) * d + j] =
                                b * g(1 + j, oo) + gv * bj[1 + j];
                        }
                    }
                    match order {
                        Derivatives::Laplacian => {
                            let mut cross = 0.0;
                            for j in 0..d {
                                cross += bj[1 + j] * g(1 + j, oo);
                            }
                            out.lap[(o + i) * mt + first + oo] =
                                b * g(1 + d, oo) + 2.0 * cross + gv * bj[1 + d];
                        }
                        Derivatives::Hessian => {
                            let mut trace = 0.0;
                            for j in 0..d {
                                for kk in j..d {
                                    let h = hessian_index(d, j, kk);
                                    let val = b * g(1 + d + h, oo)
                                        + bj[1 + j] * g(1 + kk, oo)
                                        + bj[1 + kk] * g(1 + j, oo)
                                        + gv * bj[1 + d + h];
                                    out.hess[((o + i) * mt + first + oo) * nh + h] = val;
                                    if j == kk {
                                        trace += val;
                                    }
                                }
                            }
                            out.lap[(o + i) * mt + first + oo] = trace;
                        }
                        _ => {}
                    }
                }
            }
            start = end;
        }
    }

    /// Propagates the jets of the points `x` (k × d) through the network: on return `lane.z`
    /// holds the head's jets before the Dirichlet factor (C·k × m, component-major) and
    /// `lane.bj` the jets of the factor (k × C).
    fn jets_chunk(&self, theta: &[f64], x: &[f64], order: Derivatives, lane: &mut JetLane) {
        let d = self.dim();
        let k = x.len() / d;
        let c = order.components(d);
        let nf = self.features();
        let len = self.mlp.jet_buffer_len(c, k);
        if lane.a.len() < len {
            lane.a.resize(len, 0.0);
        }
        // embedding jets
        let a = &mut lane.a[..c * k * nf];
        a.fill(0.0);
        for (i, xi) in x.chunks_exact(d).enumerate() {
            let row = |comp: usize| (comp * k + i) * nf;
            if self.config().embedding.is_none() {
                for j in 0..d {
                    a[row(0) + j] = xi[j];
                    if order >= Derivatives::Gradient {
                        a[row(1 + j) + j] = 1.0;
                    }
                }
                continue;
            }
            for (f, &(j, w, amp, is_cos)) in self.feature_table.iter().enumerate() {
                let (s, co) = (w * xi[j]).sin_cos();
                let (v, dv) = if is_cos {
                    (amp * co, -amp * w * s)
                } else {
                    (amp * s, amp * w * co)
                };
                a[row(0) + f] = v;
                if order >= Derivatives::Gradient {
                    a[row(1 + j) + f] = dv;
                }
                match order {
                    Derivatives::Laplacian => a[row(1 + d) + f] = -w * w * v,
                    Derivatives::Hessian => a[row(1 + d + hessian_index(d, j, j)) + f] = -w * w * v,
                    _ => {}
                }
            }
        }
        self.mlp.jets(theta, order, d, k, &mut lane.a, &mut lane.z);
        // Dirichlet factor jets
        lane.bj.resize(k * c, 0.0);
        lane.scratch.resize(2 * d, 0.0);
        for (i, xi) in x.chunks_exact(d).enumerate() {
            let bj = &mut lane.bj[i * c..(i + 1) * c];
            bump_jet(self.config().dirichlet, xi, order, bj, &mut lane.scratch);
        }
    }
}

/// The jet of B(x) = Π_j(1 − x_j²) (or of 1) in the component layout of `order`.
/// `scratch` holds at least 2·d entries.
fn bump_jet(dirichlet: bool, x: &[f64], order: Derivatives, out: &mut [f64], scratch: &mut [f64]) {
    let d = x.len();
    out.fill(0.0);
    if !dirichlet {
        out[0] = 1.0;
        return;
    }
    let (f, but_one) = scratch[..2 * d].split_at_mut(d);
    for (fj, &v) in f.iter_mut().zip(x) {
        *fj = 1.0 - v * v;
    }
    // products of all factors but one
    let mut acc = 1.0;
    for j in 0..d {
        but_one[j] = acc;
        acc *= f[j];
    }
    out[0] = acc;
    acc = 1.0;
    for j in (0..d).rev() {
        but_one[j] *= acc;
        acc *= f[j];
    }
    if order >= Derivatives::Gradient {
        for j in 0..d {
            out[1 + j] = -2.0 * x[j] * but_one[j];
        }
    }
    match order {
        Derivatives::Laplacian => out[1 + d] = but_one.iter().map(|p| -2.0 * p).sum(),
        Derivatives::Hessian => {
            for j in 0..d {
                for k in j..d {
                    let h = 1 + d + hessian_index(d, j, k);
                    out[h] = if j == k {
                        -2.0 * but_one[j]
                    } else {
                        let rest: f64 =
                            (0..d).filter(|&i| i != j && i != k).map(|i| f[i]).product();
                        4.0 * x[j] * x[k] * rest
                    };
                }
            }
        }
        _ => {}
    }
}
