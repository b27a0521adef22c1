//! Seeded random data.

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The seeded stream every test draws from.
pub fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

/// `n` entries uniform in [−1, 1), drawn from `rng`.
pub fn uniform(rng: &mut ChaCha8Rng, n: usize) -> Vec<f64> {
    (0..n).map(|_| rng.random_range(-1.0..1.0)).collect()
}

/// `n` entries uniform in [−1, 1) from a fresh stream seeded with `seed`.
pub fn vector(seed: u64, n: usize) -> Vec<f64> {
    uniform(&mut rng(seed), n)
}
