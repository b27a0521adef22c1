//! Gradients against central finite differences.

use crate::{dot, vector};

/// Relative tolerance of the analytic gradient against central differences.
const TOL: f64 = 1e-7;

/// Checks ⟨∂L/∂z, v⟩ against the central difference (L(z + hv) − L(z − hv)) / 2h along random
/// directions v, where `eval(z)` returns L and the magnitude of the terms it sums. The tolerance
/// is `TOL` relative to the directional derivative (and to Σ|∂L/∂zᵢ vᵢ|, against cancellation)
/// plus the rounding error of the quotient, a few ulps of that magnitude divided by h. A ReLU
/// kink within reach shows as quotients at h and h/2 that disagree; h then shrinks a hundredfold
/// (twice at most). The directions are [`vector`]s seeded from `seed`.
///
/// # Panics
/// If a directional derivative disagrees with its central difference, or if every step size
/// straddles a kink (the message names `what` and the direction).
pub fn check_directional(
    what: &str,
    z: &[f64],
    grad: &[f64],
    seed: u64,
    directions: u64,
    mut eval: impl FnMut(&[f64]) -> (f64, f64),
) {
    for d in 0..directions {
        let v = vector(seed ^ (0x9e37 + d), z.len());
        let analytic = dot(grad, &v);
        let scale: f64 = grad.iter().zip(&v).map(|(g, e)| (g * e).abs()).sum();
        let mut checked = false;
        for h in [1e-5, 1e-7, 1e-9] {
            let mut magnitude = 0.0f64;
            let mut quotient = |h: f64| {
                let plus: Vec<f64> = z.iter().zip(&v).map(|(a, b)| a + h * b).collect();
                let minus: Vec<f64> = z.iter().zip(&v).map(|(a, b)| a - h * b).collect();
                let ((lp, sp), (lm, sm)) = (eval(&plus), eval(&minus));
                magnitude = magnitude.max(sp).max(sm);
                (lp - lm) / (2.0 * h)
            };
            let (fd, fd_half) = (quotient(h), quotient(h / 2.0));
            let rounding = 16.0 * f64::EPSILON * magnitude / h;
            if (fd - fd_half).abs() > 1e-8 * scale + 2.0 * rounding {
                continue;
            }
            let err = (fd_half - analytic).abs();
            assert!(
                err <= TOL * (analytic.abs() + scale) + rounding,
                "{what}: directional derivative {analytic:e} vs central difference {fd_half:e} (h = {h:e}, error {err:e}, scale {scale:e}, rounding {rounding:e})"
            );
            checked = true;
            break;
        }
        assert!(
            checked,
            "{what}: an activation kink stays within reach of every step size along direction {d}"
        );
    }
}
