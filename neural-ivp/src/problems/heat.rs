use serde::{Deserialize, Serialize};

use super::{Ivp, reference_gaussian};
use crate::jets::{Derivatives, PointJet};

/// 2D heat equation u_t = ν Δu (ν = 0.05 in the reference code) of the reference Gaussian.
/// While the solution is far from the walls it is the free-space heat kernel, a Gaussian with
/// variance s² + 2νt and the same mass.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Heat2d {
    /// Diffusivity ν.
    pub nu: f64,
    /// Width s of the initial Gaussian.
    pub sigma: f64,
}

impl Default for Heat2d {
    fn default() -> Self {
        Self {
            nu: 0.05,
            sigma: 0.05,
        }
    }
}

impl Ivp for Heat2d {
    fn name(&self) -> String {
        "heat2d".into()
    }
    fn dim(&self) -> usize {
        2
    }
    fn outputs(&self) -> usize {
        1
    }
    fn derivatives(&self) -> Derivatives {
        Derivatives::Laplacian
    }
    fn t_end(&self) -> f64 {
        0.25
    }
    fn initial(&self, x: &[f64], u: &mut [f64]) {
        u[0] = reference_gaussian(x[0] * x[0] + x[1] * x[1], self.sigma);
    }
    fn rhs(&self, _t: f64, _x: &[f64], jet: &PointJet<'_>, out: &mut [f64]) {
        out[0] = self.nu * jet.laplacian(0);
    }
    fn exact(&self, t: f64, x: &[f64], u: &mut [f64]) -> bool {
        let s = (self.sigma * self.sigma + 2.0 * self.nu * t).sqrt();
        u[0] = reference_gaussian(x[0] * x[0] + x[1] * x[1], s);
        true
    }
}
