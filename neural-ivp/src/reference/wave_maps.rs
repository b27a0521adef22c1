use rayon::prelude::*;

use crate::error::Result;
use crate::problems::WaveMaps;
use crate::rk::OdeSystem;

/// The wave equation on the Schwarzschild background of [`WaveMaps`],
/// φ_tt = (1 − r_s/r)(Δφ − (r_s/r) r̂ᵀ(∇²φ)r̂ − (r_s/r²) r̂·∇φ), by second-order central
/// differences (mixed derivatives by the four-point cross stencil) on the n³ interior grid of
/// [−1, 1]³, zero outside; state [φ; φ_t].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WaveMapsFd {
    /// Interior points per axis.
    pub n: usize,
    /// The problem (metric parameters).
    pub problem: WaveMaps,
}

impl OdeSystem for WaveMapsFd {
    fn rhs(&mut self, _t: f64, y: &[f64], dy: &mut [f64]) -> Result<()> {
        let n = self.n;
        let n3 = n * n * n;
        let h = 2.0 / (n + 1) as f64;
        let (u, v) = y.split_at(n3);
        let (du, dv) = dy.split_at_mut(n3);
        du.copy_from_slice(v);
        let problem = self.problem;
        let at = |i: isize, j: isize, k: isize| -> f64 {
            let m = n as isize;
            if i < 0 || j < 0 || k < 0 || i >= m || j >= m || k >= m {
                0.0
            } else {
                u[((i * m + j) * m + k) as usize]
            }
        };
        dv.par_chunks_mut(n * n).enumerate().for_each(|(i, plane)| {
            let i = i as isize;
            for j in 0..n as isize {
                for k in 0..n as isize {
                    let x = [
                        -1.0 + (i + 1) as f64 * h,
                        -1.0 + (j + 1) as f64 * h,
                        -1.0 + (k + 1) as f64 * h,
                    ];
                    let (lapse, q, r, q_over_r) = problem.coefficients(&x);
                    let c = at(i, j, k);
                    let d2 = |a: [isize; 3]| {
                        (at(i + a[0], j + a[1], k + a[2]) - 2.0 * c
                            + at(i - a[0], j - a[1], k - a[2]))
                            / (h * h)
                    };
                    let d1 = |a: [isize; 3]| {
                        (at(i + a[0], j + a[1], k + a[2]) - at(i - a[0], j - a[1], k - a[2]))
                            / (2.0 * h)
                    };
                    let e = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
                    let mut hess = [[0.0; 3]; 3];
                    for p in 0..3 {
                        hess[p][p] = d2(e[p]);
                        for s in p + 1..3 {
                            let (a, b) = (e[p], e[s]);
                            let pp = at(i + a[0] + b[0], j + a[1] + b[1], k + a[2] + b[2]);
                            let pm = at(i + a[0] - b[0], j + a[1] - b[1], k + a[2] - b[2]);
                            let mp = at(i - a[0] + b[0], j - a[1] + b[1], k - a[2] + b[2]);
                            let mm = at(i - a[0] - b[0], j - a[1] - b[1], k - a[2] - b[2]);
                            hess[p][s] = (pp - pm - mp + mm) / (4.0 * h * h);
                            hess[s][p] = hess[p][s];
                        }
                    }
                    let grad = [d1(e[0]), d1(e[1]), d1(e[2])];
                    let lap = hess[0][0] + hess[1][1] + hess[2][2];
                    let mut rhr = 0.0;
                    for p in 0..3 {
                        for s in 0..3 {
                            rhr += r[p] * r[s] * hess[p][s];
                        }
                    }
                    let radial = r[0] * grad[0] + r[1] * grad[1] + r[2] * grad[2];
                    plane[(j as usize) * n + k as usize] =
                        lapse * (lap - q * rhr - q_over_r * radial);
                }
            }
        });
        Ok(())
    }
}
