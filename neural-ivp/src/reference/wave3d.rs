use rayon::prelude::*;

use crate::error::Result;
use crate::rk::OdeSystem;

/// The 3D wave equation (u, v)_t = (v, Δu) with the 7-point Laplacian on the n³ interior grid
/// of [−1, 1]³ (index (i·n + j)·n + k), zero outside; the state is [u; v] (2n³ entries).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Wave3dFd {
    /// Interior points per axis.
    pub n: usize,
}

impl OdeSystem for Wave3dFd {
    fn rhs(&mut self, _t: f64, y: &[f64], dy: &mut [f64]) -> Result<()> {
        let n = self.n;
        let n3 = n * n * n;
        let inv_h2 = ((n + 1) as f64 / 2.0).powi(2);
        let (u, v) = y.split_at(n3);
        let (du, dv) = dy.split_at_mut(n3);
        du.copy_from_slice(v);
        dv.par_chunks_mut(n * n).enumerate().for_each(|(i, plane)| {
            for j in 0..n {
                for k in 0..n {
                    let c = (i * n + j) * n + k;
                    let mut s = -6.0 * u[c];
                    if i > 0 {
                        s += u[c - n * n];
                    }
                    if i + 1 < n {
                        s += u[c + n * n];
                    }
                    if j > 0 {
                        s += u[c - n];
                    }
                    if j + 1 < n {
                        s += u[c + n];
                    }
                    if k > 0 {
                        s += u[c - 1];
                    }
                    if k + 1 < n {
                        s += u[c + 1];
                    }
                    plane[j * n + k] = s * inv_h2;
                }
            }
        });
        Ok(())
    }
}
