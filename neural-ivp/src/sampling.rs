//! Seeded random streams: Monte Carlo points in [−1, 1]^d (uniform, or a focused [`Measure`]
//! with importance weights) and the seeds of every random draw.
//!
//! Every draw of a run comes from ChaCha8 seeded from the run's seed and a purpose tag, so a
//! run is reproducible from its seed and independent of the number of threads:
//! initialisation `seed`, initial fit `seed + 1000`, Monte Carlo points of draw k (a
//! draw every `resample_every` accepted steps) `derive(seed, POINTS, k)`, Nyström sketch number k `derive(seed, SKETCH, k)`, restart k's
//! fit `derive(seed, RESTART, k)`, residual evaluation points `derive(seed, EVAL, k)`.

use rand::{Rng, RngExt};

use crate::error::{Result, config_err};

/// Purpose tag of the Monte Carlo points of a step.
pub const POINTS: u64 = 1;
/// Purpose tag of a Nyström sketch.
pub const SKETCH: u64 = 2;
/// Purpose tag of a restart's refit.
pub const RESTART: u64 = 3;
/// Purpose tag of residual evaluation points.
pub const EVAL: u64 = 4;

/// A seed for draw `index` of purpose `tag` in a run seeded with `seed` (SplitMix64 mixing).
pub fn derive(seed: u64, tag: u64, index: u64) -> u64 {
    let mut z = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(tag.wrapping_mul(0xBF58_476D_1CE4_E5B9))
        .wrapping_add(index.wrapping_mul(0x94D0_49BB_1331_11EB))
        .wrapping_add(0x2545_F491_4F6C_DD1D);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Fills `out` with independent uniform draws in [−1, 1) (points of [−1, 1]^d, row-major).
pub fn uniform_points<R: Rng + ?Sized>(rng: &mut R, out: &mut [f64]) {
    for v in out {
        *v = rng.random_range(-1.0..1.0);
    }
}

/// The distribution q of the Monte Carlo points of a least-squares problem on [−1, 1]^d.
///
/// Every estimate built from the points carries the importance weights w = p/q of the uniform
/// density p, so it estimates the same uniform-measure integral whatever q is; a focused q only
/// lowers the variance where the solution is concentrated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Measure {
    /// Uniform in the cube (weights 1), the paper's choice.
    Uniform,
    /// A defensive mixture: a fraction `share` of the points uniform in the spherical shell
    /// `inner` ≤ ‖x‖ ≤ `outer` about the origin (0 ≤ inner < outer ≤ 1, so inside the cube),
    /// the rest uniform in the cube. The weights are bounded by 1/(1 − `share`).
    Shell {
        /// Inner radius.
        inner: f64,
        /// Outer radius (at most 1).
        outer: f64,
        /// Fraction of the points drawn in the shell, in [0, 1).
        share: f64,
    },
    /// A defensive mixture: a fraction `share` of the points from the Gaussian N(c·1, σ²I)
    /// restricted to the cube (every coordinate drawn from N(c, σ²) until it falls in
    /// [−1, 1]), the rest uniform. For solutions concentrated about a point, such as the
    /// Vlasov and Fokker–Planck densities. The weights are bounded by 1/(1 − `share`).
    Gaussian {
        /// Centre c of every coordinate, in (−1, 1).
        center: f64,
        /// Standard deviation σ of every coordinate, in [0.01, 10].
        sigma: f64,
        /// Fraction of the points drawn from the Gaussian, in [0, 1).
        share: f64,
    },
}

impl Measure {
    /// Whether every weight is 1.
    pub fn is_uniform(&self) -> bool {
        matches!(self, Measure::Uniform)
    }

    /// Checks a shell's radii and share.
    ///
    /// # Errors
    /// [`IvpError::Config`](crate::IvpError::Config) naming the bad value.
    pub fn validate(&self) -> Result<()> {
        if let Measure::Shell {
            inner,
            outer,
            share,
        } = *self
        {
            if !(0.0..1.0).contains(&share) {
                return Err(config_err("sampling shell share", share, "in [0, 1)"));
            }
            if !((0.0..outer).contains(&inner) && outer <= 1.0) {
                return Err(config_err(
                    "sampling shell radii",
                    format!("{inner}..{outer}"),
                    "0 ≤ inner < outer ≤ 1",
                ));
            }
        }
        if let Measure::Gaussian {
            center,
            sigma,
            share,
        } = *self
        {
            if !(0.0..1.0).contains(&share) {
                return Err(config_err("sampling Gaussian share", share, "in [0, 1)"));
            }
            if !(center > -1.0 && center < 1.0) {
                return Err(config_err("sampling Gaussian centre", center, "in (−1, 1)"));
            }
            if !(0.01..=10.0).contains(&sigma) {
                return Err(config_err(
                    "sampling Gaussian sigma",
                    sigma,
                    "in [0.01, 10]",
                ));
            }
        }
        Ok(())
    }

    /// Draws points of [−1, 1]^d (row-major into `points`, d = `points.len() / weights.len()`)
    /// and writes each point's weight p/q into `weights`. [`Measure::Uniform`] consumes the
    /// stream exactly as [`uniform_points`].
    ///
    /// # Panics
    /// If `points.len()` is not a multiple of `weights.len()`, or if the measure does not pass
    /// [`Measure::validate`] (internal misuse: callers validate first).
    pub fn draw<R: Rng + ?Sized>(&self, rng: &mut R, points: &mut [f64], weights: &mut [f64]) {
        assert!(
            !weights.is_empty() && points.len().is_multiple_of(weights.len()),
            "{} coordinates for {} weights",
            points.len(),
            weights.len()
        );
        let d = points.len() / weights.len();
        match *self {
            Measure::Uniform => {
                uniform_points(rng, points);
                weights.fill(1.0);
            }
            Measure::Shell {
                inner,
                outer,
                share,
            } => {
                if let Err(e) = self.validate() {
                    panic!("{e}");
                }
                let (lo, hi) = (inner.powi(d as i32), outer.powi(d as i32));
                // q/p inside the shell: (1 − s) + s·vol(cube)/vol(shell)
                let ratio = 2f64.powi(d as i32) / (ball_volume(d) * (hi - lo));
                let (w_in, w_out) = (1.0 / (1.0 - share + share * ratio), 1.0 / (1.0 - share));
                for (x, w) in points.chunks_exact_mut(d).zip(weights.iter_mut()) {
                    if rng.random::<f64>() < share {
                        let mut norm2 = 0.0;
                        for v in x.iter_mut() {
                            *v = rng.sample::<f64, _>(rand_distr::StandardNormal);
                            norm2 += *v * *v;
                        }
                        let r = (lo + rng.random::<f64>() * (hi - lo)).powf(1.0 / d as f64);
                        let scale = r / norm2.sqrt();
                        x.iter_mut().for_each(|v| *v *= scale);
                    } else {
                        uniform_points(rng, x);
                    }
                    let r2: f64 = x.iter().map(|v| v * v).sum();
                    let inside = r2 >= inner * inner && r2 <= outer * outer;
                    *w = if inside { w_in } else { w_out };
                }
            }
            Measure::Gaussian {
                center,
                sigma,
                share,
            } => {
                if let Err(e) = self.validate() {
                    panic!("{e}");
                }
                // q/p of one coordinate: 2·φ((x − c)/σ)/(σ·Z), Z the mass of N(c, σ²) in [−1, 1]
                let z = truncated_gaussian_mass(center, sigma);
                let norm = 2.0 / (sigma * z * (2.0 * std::f64::consts::PI).sqrt());
                for (x, w) in points.chunks_exact_mut(d).zip(weights.iter_mut()) {
                    if rng.random::<f64>() < share {
                        for v in x.iter_mut() {
                            *v = loop {
                                let g: f64 = rng.sample(rand_distr::StandardNormal);
                                let y = center + sigma * g;
                                if (-1.0..=1.0).contains(&y) {
                                    break y;
                                }
                            };
                        }
                    } else {
                        uniform_points(rng, x);
                    }
                    let ratio: f64 = x
                        .iter()
                        .map(|&v| {
                            let u = (v - center) / sigma;
                            norm * (-0.5 * u * u).exp()
                        })
                        .product();
                    *w = 1.0 / (1.0 - share + share * ratio);
                }
            }
        }
    }
}

/// The mass of N(c, σ²) in [−1, 1], by composite Simpson quadrature with at least 400
/// intervals per σ (relative error below 1e-10).
fn truncated_gaussian_mass(c: f64, sigma: f64) -> f64 {
    let n = ((400.0 / sigma).ceil() as usize)
        .max(2000)
        .next_multiple_of(2);
    let h = 2.0 / n as f64;
    let f = |x: f64| {
        let u = (x - c) / sigma;
        (-0.5 * u * u).exp() / (sigma * (2.0 * std::f64::consts::PI).sqrt())
    };
    let mut sum = f(-1.0) + f(1.0);
    for i in 1..n {
        sum += f(-1.0 + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    sum * h / 3.0
}

/// Multiplies row i of the row-major array `values` (n rows of `values.len() / s.len()`) by
/// sᵢ, e.g. the square roots of importance weights.
///
/// # Panics
/// If `values.len()` is not a multiple of `s.len()` (internal misuse).
pub(crate) fn scale_rows(values: &mut [f64], s: &[f64]) {
    assert!(
        !s.is_empty() && values.len().is_multiple_of(s.len()),
        "{} values for {} row scales",
        values.len(),
        s.len()
    );
    let m = values.len() / s.len();
    for (row, &si) in values.chunks_exact_mut(m).zip(s) {
        row.iter_mut().for_each(|v| *v *= si);
    }
}

/// Volume of the unit ball in R^d (V₀ = 1, V₁ = 2, V_d = V_{d−2}·2π/d).
pub fn ball_volume(d: usize) -> f64 {
    match d {
        0 => 1.0,
        1 => 2.0,
        _ => ball_volume(d - 2) * 2.0 * std::f64::consts::PI / d as f64,
    }
}
