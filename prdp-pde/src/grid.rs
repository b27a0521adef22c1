//! Grid helpers: shape strings and the coordinates of grid points on the unit interval.

use prdp_core::Boundary;

/// `[30, 30]` → `"30x30"`.
pub(crate) fn shape_string(dims: &[usize]) -> String {
    dims.iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join("x")
}

/// Coordinates of the n unknowns on [0, length]: interior points (i+1)·Δx with
/// Δx = length/(n+1) for homogeneous Dirichlet boundaries, i·Δx with Δx = length/n for
/// periodic ones (the right end is the left end).
pub fn coordinates(n: usize, length: f64, boundary: Boundary) -> Vec<f64> {
    let h = spacing(n, length, boundary);
    (0..n)
        .map(|i| match boundary {
            Boundary::Dirichlet => (i + 1) as f64 * h,
            Boundary::Periodic => i as f64 * h,
        })
        .collect()
}

/// Grid spacing of n unknowns on [0, length] (see [`coordinates`]).
pub fn spacing(n: usize, length: f64, boundary: Boundary) -> f64 {
    match boundary {
        Boundary::Dirichlet => length / (n + 1) as f64,
        Boundary::Periodic => length / n as f64,
    }
}
