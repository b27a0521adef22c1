//! Random initial conditions: truncated Fourier series (heat, Burgers) and smoothed,
//! normalised, divergence-free velocity fields (Navier–Stokes).

use core::f64::consts::PI;

use prdp_core::{Boundary, Factorization, Real, Stencil};
use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha20Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use crate::navier_stokes::{NavierStokes, NavierStokesConfig, Pinned, remove_mean};
use crate::{Result, bad_param};

/// The random stream of sample `index` of a data set with seed `seed`: ChaCha20 seeded with
/// `seed`, stream `index`. Every sample draws from its own stream, so generated data does not
/// depend on the order or the threads in which samples are produced.
pub fn sample_rng(seed: u64, index: usize) -> ChaCha20Rng {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    rng.set_stream(index as u64);
    rng
}

/// A random truncated Fourier series on the unit interval, square or cube: in 1D
/// Σₖ aₖ sin(2πkx) + bₖ cos(2πkx), in 2D and 3D the sum over k of all products of sin and cos
/// of 2πk times each coordinate (4 and 8 terms per k), k = 1..`modes`, every amplitude drawn
/// from U(−`amplitude`, `amplitude`), zero offset.
///
/// The paper uses 5 modes for heat (F.2) and 20 for Burgers (F.3), amplitude 1. The reference
/// code's 2D generator evaluates its sin·cos term with the first coordinate twice
/// (sin(2πkx₀)·cos(2πkx₀)); `reference_2d` reproduces that defect, the default uses the
/// product the paper writes.
///
/// # Example
/// ```
/// use prdp_core::Boundary;
/// use prdp_pde::{FourierSeries, sample_rng};
/// let ic = FourierSeries { modes: 5, ..FourierSeries::default() };
/// let u: Vec<f32> = ic.sample(&mut sample_rng(1, 0), &[30, 30], Boundary::Dirichlet);
/// assert_eq!(u.len(), 900);
/// ```
///
/// # Reference
/// PRDP paper, appendix F.2 and F.3.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FourierSeries {
    /// Number of modes k = 1..modes.
    pub modes: usize,
    /// Amplitudes are drawn from U(−amplitude, amplitude).
    pub amplitude: f64,
    /// In 2D, evaluate the sin·cos term as the reference code does (first coordinate twice).
    pub reference_2d: bool,
}

impl Default for FourierSeries {
    fn default() -> Self {
        Self {
            modes: 5,
            amplitude: 1.0,
            reference_2d: false,
        }
    }
}

impl FourierSeries {
    /// Samples the series at the unknowns of a grid `dims` (1 to 3 axes, row-major) of the unit
    /// interval/square/cube with the given boundary kind (see [`crate::coordinates`]).
    ///
    /// # Panics
    /// If `dims` has no axis or more than three.
    pub fn sample<T: Real, R: Rng>(
        &self,
        rng: &mut R,
        dims: &[usize],
        boundary: Boundary,
    ) -> Vec<T> {
        assert!(
            (1..=3).contains(&dims.len()),
            "Fourier series on 1 to 3 axes, got {dims:?}"
        );
        let d = dims.len();
        let xs: Vec<Vec<f64>> = dims
            .iter()
            .map(|&n| crate::coordinates(n, 1.0, boundary))
            .collect();
        let total: usize = dims.iter().product();
        let mut u = vec![0.0f64; total];
        // Per axis, per mode: [sin, cos] of 2πk·x.
        let mut tables: Vec<Vec<[f64; 2]>> = vec![Vec::new(); d];
        let mut index = vec![0usize; d];
        for k in 1..=self.modes {
            for (t, x) in tables.iter_mut().zip(&xs) {
                *t = x
                    .iter()
                    .map(|&xi| {
                        let a = 2.0 * PI * k as f64 * xi;
                        [a.sin(), a.cos()]
                    })
                    .collect();
            }
            for combo in 0..(1usize << d) {
                let amp = rng.random_range(-self.amplitude..self.amplitude);
                for (p, up) in u.iter_mut().enumerate() {
                    let mut rest = p;
                    for a in (0..d).rev() {
                        index[a] = rest % dims[a];
                        rest /= dims[a];
                    }
                    let mut term = amp;
                    for a in 0..d {
                        // The reference's sin(x₀)·cos(x₀) term: axis 1's cosine read at x₀.
                        let src = if self.reference_2d && d == 2 && combo == 0b10 {
                            0
                        } else {
                            a
                        };
                        term *= tables[src][index[src]][(combo >> a) & 1];
                    }
                    *up += term;
                }
            }
        }
        u.into_iter().map(T::of).collect()
    }
}

/// Random initial velocities for Navier–Stokes (paper F.4 and the reference notebook): both
/// velocity components i.i.d. standard normal on the n×n grid, low-pass filtered by one
/// implicit heat step (periodic, νΔt = `filter_nu_dt`, 3e-3 in the paper), each component
/// shifted to zero mean and scaled to unit (population) standard deviation, then projected to
/// be discretely divergence-free with the stepper's own divergence and gradient. The pressure
/// channel is zero.
///
/// Both factorisations (the filter and the projection's pressure Poisson matrix) are computed
/// once.
///
/// # Reference
/// PRDP paper, appendix F.4.
pub struct NsInitialConditions {
    ns: NavierStokes<f64>,
    filter: Factorization,
    projection: Factorization,
}

impl NsInitialConditions {
    /// The generator for grids of `config` with filter strength `filter_nu_dt`.
    ///
    /// # Errors
    /// [`crate::PdeError::InvalidArgument`] for invalid settings; a failed factorisation.
    pub fn new(config: &NavierStokesConfig, filter_nu_dt: f64) -> Result<Self> {
        if !(filter_nu_dt.is_finite() && filter_nu_dt >= 0.0) {
            return Err(bad_param("filter_nu_dt", filter_nu_dt, ">= 0"));
        }
        let ns = NavierStokes::new(config.clone())?;
        let n = config.n;
        let h = config.length / n as f64;
        let lap = Stencil::<f64>::laplacian(&[n, n], &[h, h], Boundary::Periodic)?;
        let filter = Factorization::sparse_cholesky(&lap.affine(1.0, -filter_nu_dt))?;
        let projection = Factorization::sparse_lu(&Pinned { inner: lap, row: 0 })?;
        Ok(Self {
            ns,
            filter,
            projection,
        })
    }

    /// Makes the velocities of `state` (3n² values) discretely divergence-free: solves the
    /// pressure Poisson equation D G φ = D u and subtracts G φ. The pressure channel is left
    /// unchanged.
    ///
    /// # Errors
    /// Wrong lengths or a non-finite state.
    pub fn project<T: Real>(&self, state: &mut [T]) -> Result<()> {
        let m = self.ns.config().n.pow(2);
        crate::error::check_len("state", 3 * m, state.len(), || {
            format!("3x{0}x{0} Navier-Stokes state", self.ns.config().n)
        })?;
        let mut s: Vec<f64> = state.iter().map(|v| v.as_f64()).collect();
        prdp_core::check_finite("state", &s)?;
        let mut div = vec![0.0; m];
        self.ns.divergence(&s, &mut div);
        div[0] = 0.0;
        let mut phi = vec![0.0; m];
        self.projection.solve(&div, &mut phi)?;
        self.ns.subtract_gradient(&phi, &mut s);
        for (o, v) in state[..2 * m].iter_mut().zip(&s) {
            *o = T::of(*v);
        }
        Ok(())
    }

    /// Draws one initial state [u, v, 0] (3n² values) from `rng`.
    ///
    /// # Errors
    /// Only on internal solver failures.
    pub fn sample<T: Real, R: Rng>(&self, rng: &mut R) -> Result<Vec<T>> {
        let m = self.ns.config().n.pow(2);
        let mut state = vec![0.0f64; 3 * m];
        let mut noise = vec![0.0f64; m];
        for c in 0..2 {
            for v in noise.iter_mut() {
                *v = rng.sample(StandardNormal);
            }
            let comp = &mut state[c * m..(c + 1) * m];
            self.filter.solve(&noise, comp)?;
            remove_mean(comp);
            let std = (comp.iter().map(|v| v * v).sum::<f64>() / m as f64).sqrt();
            if std > 0.0 {
                comp.iter_mut().for_each(|v| *v /= std);
            }
        }
        self.project(&mut state)?;
        Ok(state.into_iter().map(T::of).collect())
    }
}
