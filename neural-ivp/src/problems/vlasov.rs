use serde::{Deserialize, Serialize};

use super::Ivp;
use crate::jets::{Derivatives, PointJet};
use crate::sampling::Measure;

/// The Vlasov equation in 6D phase space (x, v) ∈ [−1, 1]⁶ with q/m = 1 and the fixed field
/// E(x) = ∇ₓ exp(−‖x‖²) = −2x·exp(−‖x‖²): u_t = −(v·∇ₓu + E(x)·∇ᵥu), from the product of
/// Gaussians N(x; 0, 0.3²I)·N(v; 0, 0.3²I).
///
/// # Sampling
/// The density fills little of the cube: about 1% of uniform points carry 90% of ‖L\\[u₀\\]‖². With
/// `focus` > 0, [`Ivp::measure`] draws that fraction of the Monte Carlo points from the Gaussian
/// N(0, σ_q²I) restricted to the cube, σ_q = 1.2·σ·√(1 + t²) (free streaming x = x₀ + v t
/// widens the x-marginal to σ√(1 + t²)), and weights every point back to the uniform measure.
/// The paper and its code sample uniformly (`focus` = 0).
///
/// # Reference
/// Finzi et al. (ICLR 2023), appendix B.2 and figure 3 (right).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Vlasov6d {
    /// Standard deviation of both Gaussians.
    pub sigma: f64,
    /// Integration horizon.
    pub horizon: f64,
    /// Fraction of the Monte Carlo points drawn about the density, in [0, 1) (0: uniform).
    pub focus: f64,
}

impl Default for Vlasov6d {
    fn default() -> Self {
        Self {
            sigma: 0.3,
            horizon: 0.5,
            focus: 0.5,
        }
    }
}

impl Ivp for Vlasov6d {
    fn name(&self) -> String {
        "vlasov6d".into()
    }
    fn dim(&self) -> usize {
        6
    }
    fn outputs(&self) -> usize {
        1
    }
    fn derivatives(&self) -> Derivatives {
        Derivatives::Gradient
    }
    fn t_end(&self) -> f64 {
        self.horizon
    }
    fn measure(&self, t: f64) -> Measure {
        if self.focus == 0.0 {
            return Measure::Uniform;
        }
        Measure::Gaussian {
            center: 0.0,
            sigma: (1.2 * self.sigma * (1.0 + t * t).sqrt()).clamp(0.01, 10.0),
            share: self.focus,
        }
    }
    fn initial(&self, x: &[f64], u: &mut [f64]) {
        let s2 = self.sigma * self.sigma;
        let r2: f64 = x.iter().map(|v| v * v).sum();
        u[0] = (2.0 * std::f64::consts::PI * s2).powi(-3) * (-r2 / (2.0 * s2)).exp();
    }
    fn rhs(&self, _t: f64, x: &[f64], jet: &PointJet<'_>, out: &mut [f64]) {
        let g = jet.grad(0);
        let e = (-(x[0] * x[0] + x[1] * x[1] + x[2] * x[2])).exp();
        let mut s = 0.0;
        for i in 0..3 {
            s += x[3 + i] * g[i] - 2.0 * x[i] * e * g[3 + i];
        }
        out[0] = -s;
    }
}
