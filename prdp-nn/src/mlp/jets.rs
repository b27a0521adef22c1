//! Exact input derivatives of an [`Mlp`] by forward-mode jets: value, gradient and Laplacian
//! (or the full Hessian) with respect to d input coordinates, with no finite differences.
//!
//! A jet of a scalar quantity at a point is (value, ∂_j, second-order part). Dense layers map
//! every component linearly (the bias only touches the value); an activation σ maps
//! (z, ∂z, Δz) to (σ(z), σ′∂z, σ′Δz + σ″|∂z|²) and Hessians to σ′H + σ″ ∂z∂zᵀ. The components
//! of a chunk of k points are stacked component-major as the rows of one matrix, so each layer
//! is a single GEMM of `C·k × n_in` by `n_in × n_out` with C = 1 + d + 1 (Laplacian) or
//! 1 + d + d(d+1)/2 (Hessian).

use faer::Accum;

use super::Mlp;
use crate::gemm::{gemm, rm, rm_mut};

/// Which input derivatives to compute (each includes the ones before it).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Derivatives {
    /// Values only.
    Value,
    /// Values and gradients.
    Gradient,
    /// Values, gradients and Laplacians.
    Laplacian,
    /// Values, gradients, Laplacians and full spatial Hessians.
    Hessian,
}

impl Derivatives {
    /// Number of jet components for d input coordinates: 1, 1 + d, 2 + d or
    /// 1 + d + d(d+1)/2.
    pub fn components(self, d: usize) -> usize {
        match self {
            Self::Value => 1,
            Self::Gradient => 1 + d,
            Self::Laplacian => 2 + d,
            Self::Hessian => 1 + d + d * (d + 1) / 2,
        }
    }
}

/// Index of the Hessian entry (j, k) in the packed upper triangle (row by row) of a d × d
/// symmetric matrix; (k, j) gives the same index.
#[inline]
pub fn hessian_index(d: usize, j: usize, k: usize) -> usize {
    let (j, k) = if j <= k { (j, k) } else { (k, j) };
    j * d - j * (j + 1) / 2 + k
}

impl Mlp {
    /// Entries each of the two jet buffers of [`Mlp::jets`] needs for `k` points with
    /// `components` jet components.
    pub fn jet_buffer_len(&self, components: usize, k: usize) -> usize {
        components * k * self.widest()
    }

    /// Propagates the jets of `k` points through the network, with respect to `d` coordinates.
    /// On entry `a[..C·k·inputs]` holds the input jets, component-major (row `comp·k + i` is
    /// component `comp` of point i; component 0 is the value, 1..=d the gradient, then the
    /// Laplacian or the packed Hessian of `order`); on return `z[..C·k·outputs]` holds the
    /// output jets in the same layout, without the row factor. `a` is overwritten. Both
    /// buffers are grown to [`Mlp::jet_buffer_len`].
    pub fn jets(
        &self,
        theta: &[f64],
        order: Derivatives,
        d: usize,
        k: usize,
        a: &mut Vec<f64>,
        z: &mut Vec<f64>,
    ) {
        let c = order.components(d);
        let len = self.jet_buffer_len(c, k);
        if a.len() < len {
            a.resize(len, 0.0);
        }
        if z.len() < len {
            z.resize(len, 0.0);
        }
        let act = self.activation;
        let depth = self.layers.len() - 1;
        for (l, layer) in self.layers.iter().enumerate() {
            let (nin, nout) = (layer.n_in, layer.n_out);
            let w = rm(&theta[layer.w..layer.b], nout, nin);
            gemm(
                rm_mut(z, c * k, nout),
                Accum::Replace,
                rm(a, c * k, nin),
                w.transpose(),
                1,
            );
            let bias = &theta[layer.b..layer.b + nout];
            let zs = &mut z[..c * k * nout];
            for (zi, &bi) in zs[..k * nout].iter_mut().zip(bias.iter().cycle()) {
                *zi += bi;
            }
            if l == depth {
                break;
            }
            for i in 0..k {
                for o in 0..nout {
                    let at = |comp: usize| (comp * k + i) * nout + o;
                    let (v, d1, d2) = act.jet(zs[at(0)]);
                    zs[at(0)] = v;
                    match order {
                        Derivatives::Laplacian => {
                            let mut sq = 0.0;
                            for j in 0..d {
                                sq += zs[at(1 + j)] * zs[at(1 + j)];
                            }
                            zs[at(1 + d)] = d1 * zs[at(1 + d)] + d2 * sq;
                        }
                        Derivatives::Hessian => {
                            for j in 0..d {
                                for kk in j..d {
                                    let h = at(1 + d + hessian_index(d, j, kk));
                                    zs[h] = d1 * zs[h] + d2 * zs[at(1 + j)] * zs[at(1 + kk)];
                                }
                            }
                        }
                        _ => {}
                    }
                    if order >= Derivatives::Gradient {
                        for j in 0..d {
                            zs[at(1 + j)] *= d1;
                        }
                    }
                }
            }
            core::mem::swap(a, z);
        }
    }
}
