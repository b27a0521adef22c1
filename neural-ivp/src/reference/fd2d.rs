use rayon::prelude::*;

use crate::error::Result;
use crate::rk::OdeSystem;

/// The 2D operator discretised by [`Fd2d`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fd2dKind {
    /// u_t = vₓ∂ₓu + vᵧ∂ᵧu (second-order central differences).
    Advection {
        /// Coefficient of ∂ₓu.
        vx: f64,
        /// Coefficient of ∂ᵧu.
        vy: f64,
    },
    /// u_t = νΔu (five-point Laplacian).
    Heat {
        /// Diffusivity.
        nu: f64,
    },
}

/// Method-of-lines right-hand side on the n × n interior grid of [−1, 1]² (index i·n + j,
/// x = coordinate i, y = coordinate j), zero outside.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fd2d {
    /// Interior points per axis.
    pub n: usize,
    /// The operator.
    pub kind: Fd2dKind,
}

impl OdeSystem for Fd2d {
    fn rhs(&mut self, _t: f64, u: &[f64], du: &mut [f64]) -> Result<()> {
        let n = self.n;
        let h = 2.0 / (n + 1) as f64;
        let at = |i: isize, j: isize| -> f64 {
            if i < 0 || j < 0 || i >= n as isize || j >= n as isize {
                0.0
            } else {
                u[i as usize * n + j as usize]
            }
        };
        let kind = self.kind;
        du.par_chunks_mut(n).enumerate().for_each(|(i, row)| {
            let i = i as isize;
            for (j, out) in row.iter_mut().enumerate() {
                let j = j as isize;
                *out = match kind {
                    Fd2dKind::Advection { vx, vy } => {
                        (vx * (at(i + 1, j) - at(i - 1, j)) + vy * (at(i, j + 1) - at(i, j - 1)))
                            / (2.0 * h)
                    }
                    Fd2dKind::Heat { nu } => {
                        nu * (at(i + 1, j) + at(i - 1, j) + at(i, j + 1) + at(i, j - 1)
                            - 4.0 * at(i, j))
                            / (h * h)
                    }
                };
            }
        });
        Ok(())
    }
}
