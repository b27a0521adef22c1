use serde::{Deserialize, Serialize};

use super::Ivp;
use crate::jets::{Derivatives, PointJet};

/// The wave equation □_g φ = 0 on a Schwarzschild background (the paper's "wave maps"
/// problem), black hole of mass 1/2 (r_s = 1) at c = (−2, 0, 0), in Cartesian-like
/// Schwarzschild coordinates: g_tt = −(1 − r_s/r), g_ij = δ_ij + (r_s/(r − r_s)) r̂_i r̂_j with
/// r = ‖x − c‖.
///
/// In these coordinates √−g = 1, g^{ij} = δ_ij − (r_s/r) r̂_i r̂_j, g^{00} = −1/(1 − r_s/r),
/// and the contracted Christoffel symbols are Γ^0 = 0, Γ^i = −∂_j g^{ji} = r_s (x − c)_i/r³,
/// so φ_tt = (1 − r_s/r)(g^{ij}∂_i∂_jφ − Γ^i∂_iφ). State (φ, φ_t); initial data a Gaussian
/// packet exp(−‖x − x₀‖²/(2σ²)) at rest (the paper does not give its packet).
///
/// # Reference
/// Finzi et al. (ICLR 2023), section 5, eq. 8 and figure 4.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WaveMaps {
    /// Schwarzschild radius r_s = 2M.
    pub rs: f64,
    /// x-coordinate of the hole (on the x axis).
    pub center_x: f64,
    /// Width σ of the initial packet.
    pub sigma: f64,
    /// Centre x₀ of the initial packet.
    pub packet_center: [f64; 3],
}

impl Default for WaveMaps {
    fn default() -> Self {
        Self {
            rs: 1.0,
            center_x: -2.0,
            sigma: 0.1,
            packet_center: [0.0; 3],
        }
    }
}

impl WaveMaps {
    /// The coefficients at x: (1 − r_s/r, r_s/r, r̂, r_s/r²).
    pub fn coefficients(&self, x: &[f64]) -> (f64, f64, [f64; 3], f64) {
        let y = [x[0] - self.center_x, x[1], x[2]];
        let r = (y[0] * y[0] + y[1] * y[1] + y[2] * y[2]).sqrt();
        let q = self.rs / r;
        ((1.0 - q).max(0.0), q, [y[0] / r, y[1] / r, y[2] / r], q / r)
    }
}

impl Ivp for WaveMaps {
    fn name(&self) -> String {
        "wave_maps".into()
    }
    fn dim(&self) -> usize {
        3
    }
    fn outputs(&self) -> usize {
        2
    }
    fn derivatives(&self) -> Derivatives {
        Derivatives::Hessian
    }
    fn t_end(&self) -> f64 {
        0.5
    }
    fn initial(&self, x: &[f64], u: &mut [f64]) {
        let r2: f64 = x
            .iter()
            .zip(&self.packet_center)
            .map(|(a, b)| (a - b) * (a - b))
            .sum();
        u[0] = (-r2 / (2.0 * self.sigma * self.sigma)).exp();
        u[1] = 0.0;
    }
    fn rhs(&self, _t: f64, x: &[f64], jet: &PointJet<'_>, out: &mut [f64]) {
        let (lapse, q, n, q_over_r) = self.coefficients(x);
        let g = jet.grad(0);
        let mut nhn = 0.0;
        for i in 0..3 {
            for j in 0..3 {
                nhn += n[i] * n[j] * jet.hessian(0, i, j);
            }
        }
        let radial = n[0] * g[0] + n[1] * g[1] + n[2] * g[2];
        out[0] = jet.value(1);
        out[1] = lapse * (jet.laplacian(0) - q * nhn - q_over_r * radial);
    }
}
