use serde::{Deserialize, Serialize};

use super::Ivp;
use crate::jets::{Derivatives, PointJet};
use crate::sampling::Measure;

/// The Fokker–Planck equation of d interacting particles in a harmonic trap,
/// u_t = DΔu − ∇·(h u) with h(x) = (a − x) + α(11ᵀ/d − I)x, from the normalised bump
/// u₀ = (3/4)^d Π_j(1 − x_j²) (which the Dirichlet factor represents exactly).
///
/// ∇·h = −d(1 + α) + α is constant, so L\[u\] = DΔu − (∇·h)u − h·∇u.
///
/// # Sampling
/// In d = 8 the density concentrates (the effective share E\\[u₀²\\]²/E\\[u₀⁴\\] of uniform points
/// is 0.70⁸ ≈ 6%) and
/// contracts towards the trap. With `focus` > 0, [`Ivp::measure`] draws that fraction of the
/// Monte Carlo points from N(c(t)·1, σ(t)²I) restricted to the cube, following the trap's
/// relaxation of every coordinate's mean and variance at rate 1 (the slower of the two rates
/// 1 and 1 + α, so the measure stays the wider): c(t) = a(1 − e^(−t)),
/// σ(t)² = σ₀²e^(−2t) + D(1 − e^(−2t)), σ₀ = 0.45 (covering u₀², whose per-coordinate standard
/// deviation is 0.38), and weights every point back to the uniform measure. The paper and its
/// code sample uniformly (`focus` = 0).
///
/// # Reference
/// Finzi et al. (ICLR 2023), appendix B.3 (d = 8, D = 0.01, α = 1/4, a = 0.2·1) and figure 5;
/// the trap of Bruna et al. (2022) with a static centre, as in the public code.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FokkerPlanck {
    /// Dimension d.
    pub d: usize,
    /// Diffusion D.
    pub diffusion: f64,
    /// Interaction strength α.
    pub alpha: f64,
    /// Trap centre a (every coordinate).
    pub a: f64,
    /// Integration horizon.
    pub horizon: f64,
    /// Fraction of the Monte Carlo points drawn about the density, in [0, 1) (0: uniform).
    pub focus: f64,
}

impl Default for FokkerPlanck {
    fn default() -> Self {
        Self {
            d: 8,
            diffusion: 0.01,
            alpha: 0.25,
            a: 0.2,
            horizon: 0.5,
            focus: 0.5,
        }
    }
}

impl Ivp for FokkerPlanck {
    fn name(&self) -> String {
        format!("fokker_planck_d{}", self.d)
    }
    fn dim(&self) -> usize {
        self.d
    }
    fn outputs(&self) -> usize {
        1
    }
    fn derivatives(&self) -> Derivatives {
        Derivatives::Laplacian
    }
    fn t_end(&self) -> f64 {
        self.horizon
    }
    fn measure(&self, t: f64) -> Measure {
        if self.focus == 0.0 {
            return Measure::Uniform;
        }
        let decay = (-2.0 * t).exp();
        let var = 0.45f64.powi(2) * decay + self.diffusion * (1.0 - decay);
        Measure::Gaussian {
            center: (self.a * (1.0 - (-t).exp())).clamp(-0.99, 0.99),
            sigma: var.sqrt().clamp(0.01, 10.0),
            share: self.focus,
        }
    }
    fn initial(&self, x: &[f64], u: &mut [f64]) {
        u[0] = 0.75f64.powi(self.d as i32) * x.iter().map(|v| 1.0 - v * v).product::<f64>();
    }
    fn rhs(&self, _t: f64, x: &[f64], jet: &PointJet<'_>, out: &mut [f64]) {
        let d = self.d as f64;
        let mean = x.iter().sum::<f64>() / d;
        let div_h = -d * (1.0 + self.alpha) + self.alpha;
        let g = jet.grad(0);
        let mut adv = 0.0;
        for (xi, gi) in x.iter().zip(g) {
            let h = (self.a - xi) + self.alpha * (mean - xi);
            adv += h * gi;
        }
        out[0] = self.diffusion * jet.laplacian(0) - div_h * jet.value(0) - adv;
    }
}
