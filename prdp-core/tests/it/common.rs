//! Builders of prdp-core types for the tests (the generic helpers are in prdp-testing).

use prdp_core::CsrMatrix;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

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
