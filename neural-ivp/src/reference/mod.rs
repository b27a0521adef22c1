//! Finite-difference reference solvers (method of lines on uniform interior grids of
//! [−1, 1]^d with zero Dirichlet values outside, integrated by the crate's own adaptive
//! Dormand–Prince 5(4)), grids, and the relative L2 error.

mod fd2d;
mod wave3d;
mod wave_maps;

pub use fd2d::{Fd2d, Fd2dKind};
pub use wave_maps::WaveMapsFd;
pub use wave3d::Wave3dFd;

use crate::error::Result;
use crate::rk::{Integrator, OdeSystem, RkScheme, StepControl};

/// The n^d interior points of the grid linspace(−1, 1, n + 2)^d, row-major (last coordinate
/// fastest), as the public code's error helpers use.
pub fn interior_grid(n: usize, d: usize) -> Vec<f64> {
    let h = 2.0 / (n + 1) as f64;
    let total = n.pow(d as u32);
    let mut out = vec![0.0; total * d];
    for (idx, x) in out.chunks_exact_mut(d).enumerate() {
        let mut rest = idx;
        for j in (0..d).rev() {
            x[j] = -1.0 + ((rest % n) + 1) as f64 * h;
            rest /= n;
        }
    }
    out
}

/// Relative L2 error ‖a − b‖ / ‖b‖ (the public code's `sqrt(mean((b − a)²)/mean(b²))`).
pub fn relative_l2(a: &[f64], b: &[f64]) -> f64 {
    let (num, den) = a.iter().zip(b).fold((0.0, 0.0), |(x, y), (&ai, &bi)| {
        (x + (ai - bi) * (ai - bi), y + bi * bi)
    });
    if den > 0.0 {
        (num / den).sqrt()
    } else {
        num.sqrt()
    }
}

/// Integrates `sys` from y₀ at t = 0 with Dormand–Prince 5(4) at relative tolerance `rtol`
/// (absolute tolerance `rtol`·max|y₀|) and returns the states at `times` (increasing).
///
/// # Errors
/// Integrator errors.
pub fn integrate(
    sys: &mut dyn OdeSystem,
    y0: Vec<f64>,
    times: &[f64],
    rtol: f64,
) -> Result<Vec<Vec<f64>>> {
    let scale = y0.iter().fold(0.0f64, |a, v| a.max(v.abs())).max(1e-300);
    let t_end = times.iter().copied().fold(0.0, f64::max).max(1e-12);
    let control = StepControl {
        method: RkScheme::Dp54,
        rtol,
        atol: rtol * scale,
        ..StepControl::default()
    };
    let mut out = Vec::with_capacity(times.len());
    let mut rk = Integrator::new(control, 0.0, y0, t_end)?;
    for &t in times {
        while rk.t() < t {
            rk.step(sys, t)?;
        }
        out.push(rk.y().to_vec());
    }
    Ok(out)
}
