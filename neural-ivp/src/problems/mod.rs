//! The initial value problems: each implements [`Ivp`] (operator L\[u\], initial condition,
//! dimension, number of outputs, the input derivatives L needs, and the exact solution where
//! one is known). Every domain is the cube [−1, 1]^d with homogeneous Dirichlet conditions,
//! which the network imposes exactly; Monte Carlo points are uniform in the cube unless the
//! problem names a focused [`Measure`] (the 3D wave's shell).

mod advection;
mod fokker_planck;
mod heat;
mod packet;
mod vlasov;
mod wave3d;
mod wave_maps;

pub use advection::Advection2d;
pub use fokker_planck::FokkerPlanck;
pub use heat::Heat2d;
pub use packet::wave_packet;
pub use vlasov::Vlasov6d;
pub use wave_maps::WaveMaps;
pub use wave3d::Wave3d;

use crate::jets::{Derivatives, PointJet};
use crate::sampling::Measure;

/// An initial value problem ∂ₜu = L\[u\] on [−1, 1]^d with u = 0 on the boundary.
///
/// Second-order-in-time equations are written as first-order systems: the wave equation's
/// state is (u, u_t) and its operator (u_t, Δu).
pub trait Ivp: Send + Sync {
    /// Short name (used in file names), e.g. `"advection2d"`.
    fn name(&self) -> String;

    /// Spatial dimension d.
    fn dim(&self) -> usize;

    /// Number of state components m.
    fn outputs(&self) -> usize;

    /// The input derivatives L needs.
    fn derivatives(&self) -> Derivatives;

    /// The paper's (or the reference code's) integration horizon.
    fn t_end(&self) -> f64;

    /// The initial state at the point `x` (length d) into `u` (length m).
    fn initial(&self, x: &[f64], u: &mut [f64]);

    /// L\[u\](x, t) into `out` (length m), from the jet of the current solution at `x`.
    fn rhs(&self, t: f64, x: &[f64], jet: &PointJet<'_>, out: &mut [f64]);

    /// The distribution of the Monte Carlo points of a least-squares problem posed at time `t`
    /// (the fits and the steps from `t`); every estimate is importance-weighted back to the
    /// uniform measure. Default: uniform.
    fn measure(&self, t: f64) -> Measure {
        let _ = t;
        Measure::Uniform
    }

    /// The exact state at (x, t) into `u`, if known; returns whether it is.
    fn exact(&self, t: f64, x: &[f64], u: &mut [f64]) -> bool {
        let _ = (t, x, u);
        false
    }
}

/// The initial condition of `problem` at `n` points (n × d) into `out` (n × m).
pub fn initial_values(problem: &dyn Ivp, points: &[f64], out: &mut [f64]) {
    let (d, m) = (problem.dim(), problem.outputs());
    for (x, u) in points.chunks_exact(d).zip(out.chunks_exact_mut(m)) {
        problem.initial(x, u);
    }
}

/// The isotropic Gaussian of the reference code, exp(−|x|²/(2s²))/(2πs²)/30 (its 2D
/// normalisation is used in every dimension, as there).
pub(crate) fn reference_gaussian(r2: f64, s: f64) -> f64 {
    (-r2 / (2.0 * s * s)).exp() / (2.0 * std::f64::consts::PI * s * s) / 30.0
}
