use serde::{Deserialize, Serialize};

use super::{Ivp, reference_gaussian};
use crate::jets::{Derivatives, PointJet};

/// 2D advection u_t = ∂ₓu + ∂ᵧu (transport with velocity (−1, −1)) of the reference code's
/// Gaussian exp(−|x|²/(2s²))/(2πs²)/30, up to t = 0.25. Exact solution u₀(x + t, y + t) while
/// the Gaussian is far from the walls.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Advection2d {
    /// Width s of the Gaussian (the reference code: 0.05).
    pub sigma: f64,
}

impl Default for Advection2d {
    fn default() -> Self {
        Self { sigma: 0.05 }
    }
}

impl Ivp for Advection2d {
    fn name(&self) -> String {
        "advection2d".into()
    }
    fn dim(&self) -> usize {
        2
    }
    fn outputs(&self) -> usize {
        1
    }
    fn derivatives(&self) -> Derivatives {
        Derivatives::Gradient
    }
    fn t_end(&self) -> f64 {
        0.25
    }
    fn initial(&self, x: &[f64], u: &mut [f64]) {
        u[0] = reference_gaussian(x[0] * x[0] + x[1] * x[1], self.sigma);
    }
    fn rhs(&self, _t: f64, _x: &[f64], jet: &PointJet<'_>, out: &mut [f64]) {
        let g = jet.grad(0);
        out[0] = g[0] + g[1];
    }
    fn exact(&self, t: f64, x: &[f64], u: &mut [f64]) -> bool {
        self.initial(&[x[0] + t, x[1] + t], u);
        true
    }
}
