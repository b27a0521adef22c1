//! The PDE at sampled points: the network's forward pass, its input jets and f = L[u_θ] at a
//! set of collocation points (what every right-hand-side evaluation of Neural IVP and EDNN
//! computes first), and the relative PDE residual measured on fresh points.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::error::Result;
use crate::jets::{JetWorkspace, Jets};
use crate::network::Network;
use crate::problems::Ivp;
use crate::reference::relative_l2;
use crate::sampling::uniform_points;
use crate::tangent::{Forward, TangentWorkspace};

/// Collocation points with the forward cache, the jets and the PDE right-hand side
/// f(xᵢ) = L[u_θ](xᵢ, t) of the last [`Collocation::evaluate`]; the buffers are reused.
pub(crate) struct Collocation {
    /// The points, n × d row-major.
    pub points: Vec<f64>,
    /// The forward cache at the points (the linearisation point of J).
    pub fwd: Forward,
    /// f at the points, n × m row-major.
    pub f: Vec<f64>,
    jets: Jets,
    jws: JetWorkspace,
}

impl Collocation {
    /// `n` points (all zero until [`Collocation::resample`]) for `net`.
    pub fn new(net: &Network, n: usize) -> Self {
        Self {
            points: vec![0.0; n * net.dim()],
            fwd: Forward::new(),
            f: vec![0.0; n * net.outputs()],
            jets: Jets::new(),
            jws: JetWorkspace::new(),
        }
    }

    /// Draws fresh uniform points from ChaCha8 seeded with `seed`.
    pub fn resample(&mut self, seed: u64) {
        uniform_points(&mut ChaCha8Rng::seed_from_u64(seed), &mut self.points);
    }

    /// Runs the network at θ on the points (forward cache and the jets `problem` needs) and
    /// fills f with L[u_θ] at time `t`.
    pub fn evaluate(
        &mut self,
        net: &Network,
        problem: &dyn Ivp,
        theta: &[f64],
        t: f64,
    ) -> Result<()> {
        net.forward(theta, &self.points, &mut self.fwd)?;
        net.jets(
            theta,
            &self.points,
            problem.derivatives(),
            &mut self.jets,
            &mut self.jws,
        )?;
        pde_rhs(problem, t, &self.points, &self.jets, &mut self.f);
        Ok(())
    }
}

/// The relative PDE residual ‖J θ̇ − f‖ / ‖f‖ over `n` fresh uniform points drawn with `seed`
/// (f = L\[u_θ\]; sums over points and outputs).
///
/// The public code prints this divided by √n; compare against its logs accordingly.
///
/// # Errors
/// Shape errors.
pub fn pde_residual(
    net: &Network,
    problem: &dyn Ivp,
    theta: &[f64],
    theta_dot: &[f64],
    t: f64,
    n: usize,
    seed: u64,
) -> Result<f64> {
    let mut at = Collocation::new(net, n);
    at.resample(seed);
    at.evaluate(net, problem, theta, t)?;
    let mut jv = vec![0.0; n * net.outputs()];
    net.jvp(
        theta,
        &at.fwd,
        theta_dot,
        &mut jv,
        &mut TangentWorkspace::new(),
    )?;
    Ok(relative_l2(&jv, &at.f))
}

/// f(xᵢ) = L[u](xᵢ, t) at all points from their jets (parallel over points).
fn pde_rhs(problem: &dyn Ivp, t: f64, points: &[f64], jets: &Jets, f: &mut [f64]) {
    let (d, m) = (problem.dim(), problem.outputs());
    f.par_chunks_mut(m * 256)
        .enumerate()
        .for_each(|(c, block)| {
            for (k, out) in block.chunks_exact_mut(m).enumerate() {
                let i = c * 256 + k;
                problem.rhs(t, &points[i * d..(i + 1) * d], &jets.point(i), out);
            }
        });
}
