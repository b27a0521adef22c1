//! Fields on reference grids: output times, network and exact values, errors of snapshots
//! against reference fields, and initial states of the 3D finite-difference solvers.

use anyhow::Result;
use neural_ivp::Network;
use neural_ivp::problems::Ivp;
use neural_ivp::reference::relative_l2;

/// `n` equally spaced output times from 0 to `t_end` (both included).
pub(super) fn output_times(t_end: f64, n: usize) -> Vec<f64> {
    (0..n).map(|i| t_end * i as f64 / (n - 1) as f64).collect()
}

/// u (output 0) of a network at the grid points.
pub(super) fn network_u(net: &Network, theta: &[f64], grid: &[f64]) -> Result<Vec<f64>> {
    let m = net.outputs();
    let mut out = vec![0.0; grid.len() / net.dim() * m];
    net.eval(theta, grid, &mut out)?;
    Ok(out.chunks_exact(m).map(|c| c[0]).collect())
}

/// Relative errors of the snapshots against reference fields (u only) at the same times.
pub(super) fn snapshot_errors(
    net: &Network,
    snaps: &[(f64, Vec<f64>)],
    grid: &[f64],
    refs: &[Vec<f64>],
) -> Result<(Vec<f64>, Vec<f64>)> {
    let mut t = Vec::new();
    let mut e = Vec::new();
    for ((ts, theta), r) in snaps.iter().zip(refs) {
        t.push(*ts);
        e.push(relative_l2(&network_u(net, theta, grid)?, r));
    }
    Ok((t, e))
}

/// u of the exact solution on the grid at t.
pub(super) fn exact_u(problem: &dyn Ivp, t: f64, grid: &[f64]) -> Vec<f64> {
    let (d, m) = (problem.dim(), problem.outputs());
    let mut u = vec![0.0; m];
    grid.chunks_exact(d)
        .map(|x| {
            problem.exact(t, x, &mut u);
            u[0]
        })
        .collect()
}

/// Interleaved (u, v) initial state of an FD 3D solver on the grid.
pub(super) fn fd3d_initial(problem: &dyn Ivp, grid: &[f64]) -> Vec<f64> {
    let n3 = grid.len() / 3;
    let mut y = vec![0.0; 2 * n3];
    let mut u = [0.0; 2];
    for (i, x) in grid.chunks_exact(3).enumerate() {
        problem.initial(x, &mut u);
        y[i] = u[0];
        y[n3 + i] = u[1];
    }
    y
}
