//! The PDE at sampled points: the network's forward pass, its input jets and f = L[u_θ] at a
//! set of collocation points (what every right-hand-side evaluation of Neural IVP and EDNN
//! computes first), and the relative PDE residual measured on fresh points.
//!
//! Under a focused [`Measure`] each point's row of J and its fᵢ are scaled by √wᵢ (the square
//! root of its importance weight), so every least-squares quantity built from them
//! (M̂, F̂, EDNN's dense system, the residual) estimates its uniform-measure value.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::composite::Forward;
use crate::composite::TangentWorkspace;
use crate::error::Result;
use crate::jets::{JetWorkspace, Jets};
use crate::network::Network;
use crate::problems::Ivp;
use crate::reference::relative_l2;
use crate::sampling::{Measure, scale_rows};
use crate::solver::checkpoint::Arrays;

/// Collocation points with the forward cache, the jets and the PDE right-hand side
/// f(xᵢ) = L[u_θ](xᵢ, t) of the last [`Collocation::evaluate`]; the buffers are reused.
pub(crate) struct Collocation {
    /// The points, n × d row-major.
    pub points: Vec<f64>,
    /// The forward cache at the points (the linearisation point of J).
    pub fwd: Forward,
    /// f at the points, n × m row-major (times √wᵢ under a focused measure).
    pub f: Vec<f64>,
    /// √wᵢ per point (all 1 after a uniform draw).
    sqrt_w: Vec<f64>,
    /// Whether the last draw carries weights other than 1.
    weighted: bool,
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
            sqrt_w: vec![1.0; n],
            weighted: false,
            jets: Jets::new(),
            jws: JetWorkspace::new(),
        }
    }

    /// Draws fresh points from `measure` with ChaCha8 seeded with `seed`.
    ///
    /// # Errors
    /// [`crate::IvpError::Config`] if `measure` does not pass [`Measure::validate`].
    pub fn resample(&mut self, seed: u64, measure: &Measure) -> Result<()> {
        measure.validate()?;
        measure.draw(
            &mut ChaCha8Rng::seed_from_u64(seed),
            &mut self.points,
            &mut self.sqrt_w,
        );
        self.weighted = !measure.is_uniform();
        if self.weighted {
            self.sqrt_w.iter_mut().for_each(|v| *v = v.sqrt());
        }
        Ok(())
    }

    /// Saves the points of the last draw and their weights (into `arrays`); returns whether
    /// the draw was weighted.
    pub fn save(&self, arrays: &mut Arrays) -> bool {
        arrays.put("points", &self.points);
        arrays.put("points.sqrt_w", &self.sqrt_w);
        self.weighted
    }

    /// Restores what [`Collocation::save`] saved.
    ///
    /// # Errors
    /// [`crate::IvpError::Checkpoint`] for missing arrays or arrays of another size.
    pub fn restore(&mut self, weighted: bool, arrays: &mut Arrays) -> Result<()> {
        self.points = arrays.take("points", self.points.len())?;
        self.sqrt_w = arrays.take("points.sqrt_w", self.sqrt_w.len())?;
        self.weighted = weighted;
        Ok(())
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
        if self.weighted {
            self.fwd.scale_rows(&self.sqrt_w)?;
            scale_rows(&mut self.f, &self.sqrt_w);
        }
        Ok(())
    }
}

/// A relative PDE residual: of the whole system and of each equation (output) alone.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Residual {
    /// ‖J θ̇ − f‖ / ‖f‖ summed over all outputs.
    pub total: f64,
    /// ‖(J θ̇ − f)_o‖ / ‖f_o‖ for every output o: the residual of equation o alone, which the
    /// total hides when the equations' right-hand sides differ in size.
    pub outputs: Vec<f64>,
}

/// `n` points drawn afresh with `seed`, where a residual is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FreshPoints {
    /// The number of points.
    pub n: usize,
    /// The seed of their draw.
    pub seed: u64,
}

/// The relative PDE residual ‖J θ̇ − f‖ / ‖f‖ over the fresh `points` drawn from the
/// problem's measure at `t` (f = L\[u_θ\]; sums over points, importance-weighted under a
/// focused measure), of the whole system and of each equation.
///
/// The public code prints the total divided by √n; compare against its logs accordingly.
///
/// # Errors
/// Shape errors, `n` = 0, a bad sampling measure.
pub fn pde_residual(
    net: &Network,
    problem: &dyn Ivp,
    theta: &[f64],
    theta_dot: &[f64],
    t: f64,
    points: FreshPoints,
) -> Result<Residual> {
    let FreshPoints { n, seed } = points;
    crate::error::at_least("residual points", n, 1)?;
    let mut at = Collocation::new(net, n);
    at.resample(seed, &problem.measure(t))?;
    at.residual(net, problem, theta, theta_dot, t)
}

/// The relative PDE residual as [`pde_residual`], on fresh `points` drawn uniformly from the
/// interior cube [−h, h]^d, h = `half_width` in (0, 1]: the residual away from the
/// walls, where the Dirichlet factor forces J θ̇ to 0 whatever L\[u\] is.
///
/// # Errors
/// Shape errors, `n` = 0, `half_width` outside (0, 1].
pub fn pde_residual_interior(
    net: &Network,
    problem: &dyn Ivp,
    theta: &[f64],
    theta_dot: &[f64],
    t: f64,
    points: FreshPoints,
    half_width: f64,
) -> Result<Residual> {
    let FreshPoints { n, seed } = points;
    crate::error::at_least("residual points", n, 1)?;
    if !(half_width > 0.0 && half_width <= 1.0) {
        return Err(crate::error::config_err(
            "interior half-width",
            half_width,
            "in (0, 1]",
        ));
    }
    let mut at = Collocation::new(net, n);
    at.resample(seed, &Measure::Uniform)?;
    at.points.iter_mut().for_each(|x| *x *= half_width);
    at.residual(net, problem, theta, theta_dot, t)
}

/// The residuals a driver measures after a step: on fresh points of the problem's measure and,
/// with `interior` > 0, on the interior cube [−interior, interior]^d (same count and seed).
pub(crate) struct StepResiduals {
    /// On the problem's measure.
    pub residual: Residual,
    /// The total on the interior cube.
    pub interior: Option<f64>,
}

/// [`StepResiduals`] of θ̇ at θ and `t` on the fresh `points`.
pub(crate) fn step_residuals(
    net: &Network,
    problem: &dyn Ivp,
    theta: &[f64],
    theta_dot: &[f64],
    t: f64,
    points: FreshPoints,
    interior: f64,
) -> Result<StepResiduals> {
    let residual = pde_residual(net, problem, theta, theta_dot, t, points)?;
    let interior = (interior > 0.0)
        .then(|| pde_residual_interior(net, problem, theta, theta_dot, t, points, interior))
        .transpose()?
        .map(|r| r.total);
    Ok(StepResiduals { residual, interior })
}

impl Collocation {
    /// The relative residual of θ̇ at the current points, in total and per equation.
    fn residual(
        &mut self,
        net: &Network,
        problem: &dyn Ivp,
        theta: &[f64],
        theta_dot: &[f64],
        t: f64,
    ) -> Result<Residual> {
        let (n, m) = (self.fwd_points(), net.outputs());
        self.evaluate(net, problem, theta, t)?;
        let mut jv = vec![0.0; n * m];
        net.jvp(
            theta,
            &self.fwd,
            theta_dot,
            &mut jv,
            &mut TangentWorkspace::new(),
        )?;
        let mut sums = vec![(0.0, 0.0); m];
        for (a, b) in jv.chunks_exact(m).zip(self.f.chunks_exact(m)) {
            for ((s, &ja), &fb) in sums.iter_mut().zip(a).zip(b) {
                s.0 += (ja - fb) * (ja - fb);
                s.1 += fb * fb;
            }
        }
        Ok(Residual {
            total: relative_l2(&jv, &self.f),
            outputs: sums.iter().map(|&(r, f)| (r / f).sqrt()).collect(),
        })
    }

    /// Number of points.
    fn fwd_points(&self) -> usize {
        self.sqrt_w.len()
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ednn::dense_jacobian;
    use crate::gauss_newton::GaussNewton;
    use crate::network::NetworkConfig;
    use crate::problems::Wave3d;
    use prdp_core::LinearOperator;

    /// Under the 3D wave's shell measure, M̂ v and F̂ equal (1/n) Σ wᵢ Jᵢᵀ Jᵢ v and
    /// (1/n) Σ wᵢ Jᵢᵀ fᵢ assembled from the unweighted dense Jacobian and right-hand side.
    #[test]
    fn focused_points_weight_the_gauss_newton_system() {
        let problem = Wave3d {
            alpha: 50.0,
            ..Wave3d::default()
        };
        let cfg = NetworkConfig {
            width: 8,
            depth: 2,
            ..NetworkConfig::default()
        };
        let net = Network::new(&cfg, 3, 2).unwrap();
        let theta = net.init(3);
        let (n, m, p) = (200, 2, net.num_params());
        let t = 0.2;
        let measure = problem.measure(t);
        assert!(!measure.is_uniform());
        let mut at = Collocation::new(&net, n);
        at.resample(17, &measure).unwrap();
        at.evaluate(&net, &problem, &theta, t).unwrap();
        assert!(at.weighted, "weights of a focused measure");
        let sqrt_w = at.sqrt_w.clone();
        let mut plain = Collocation::new(&net, n);
        plain.points.copy_from_slice(&at.points);
        plain.evaluate(&net, &problem, &theta, t).unwrap();
        let mut jac = vec![0.0; n * m * p];
        dense_jacobian(&net, &theta, &plain.fwd, &mut jac).unwrap();
        let v: Vec<f64> = (0..p).map(|k| ((k * 7 % 13) as f64 - 6.0) / 6.0).collect();
        let (mut mv, mut fhat) = (vec![0.0; p], vec![0.0; p]);
        for (row, (&f, i)) in jac.chunks_exact(p).zip(plain.f.iter().zip(0..)) {
            let w = sqrt_w[i / m] * sqrt_w[i / m] / n as f64;
            let jv: f64 = row.iter().zip(&v).map(|(a, b)| a * b).sum();
            for k in 0..p {
                mv[k] += w * row[k] * jv;
                fhat[k] += w * row[k] * f;
            }
        }
        let op = GaussNewton::new(&net, &theta, &at.fwd).unwrap();
        let (mut got_mv, mut got_f) = (vec![0.0; p], vec![0.0; p]);
        op.apply(&v, &mut got_mv);
        op.rhs(&at.f, &mut got_f).unwrap();
        let scale = mv.iter().chain(&fhat).fold(0.0f64, |a, b| a.max(b.abs()));
        for k in 0..p {
            assert!((got_mv[k] - mv[k]).abs() < 1e-12 * scale, "M̂v[{k}]");
            assert!((got_f[k] - fhat[k]).abs() < 1e-12 * scale, "F̂[{k}]");
        }
    }
}
