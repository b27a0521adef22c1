//! Shared helpers: seeded random vectors and matrices.

use prdp_core::CsrMatrix;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

pub fn vector(rng: &mut ChaCha8Rng, n: usize) -> Vec<f64> {
    (0..n).map(|_| rng.random_range(-1.0..1.0)).collect()
}

/// A random sparse m×n matrix with about `density·m·n` entries (duplicates included).
pub fn sparse(rng: &mut ChaCha8Rng, m: usize, n: usize, density: f64) -> CsrMatrix<f64> {
    let count = ((m * n) as f64 * density).ceil() as usize;
    let t: Vec<_> = (0..count)
        .map(|_| {
            (
                rng.random_range(0..m),
                rng.random_range(0..n),
                rng.random_range(-1.0..1.0),
            )
        })
        .collect();
    CsrMatrix::from_triplets(m, n, &t).unwrap()
}

pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
