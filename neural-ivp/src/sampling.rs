//! Seeded random streams: uniform points in [−1, 1]^d and the seeds of every random draw.
//!
//! Every draw of a run comes from ChaCha8 seeded from the run's seed and a purpose tag, so a
//! run is reproducible from its seed and independent of the number of threads:
//! initialisation `seed`, initial fit `seed + 1000`, Monte Carlo points of draw k (a
//! draw every `resample_every` accepted steps) `derive(seed, POINTS, k)`, Nyström sketch number k `derive(seed, SKETCH, k)`, restart k's
//! fit `derive(seed, RESTART, k)`, residual evaluation points `derive(seed, EVAL, k)`.

use rand::{Rng, RngExt};

/// Purpose tag of the Monte Carlo points of a step.
pub const POINTS: u64 = 1;
/// Purpose tag of a Nyström sketch.
pub const SKETCH: u64 = 2;
/// Purpose tag of a restart's refit.
pub const RESTART: u64 = 3;
/// Purpose tag of residual evaluation points.
pub const EVAL: u64 = 4;

/// A seed for draw `index` of purpose `tag` in a run seeded with `seed` (SplitMix64 mixing).
pub fn derive(seed: u64, tag: u64, index: u64) -> u64 {
    let mut z = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(tag.wrapping_mul(0xBF58_476D_1CE4_E5B9))
        .wrapping_add(index.wrapping_mul(0x94D0_49BB_1331_11EB))
        .wrapping_add(0x2545_F491_4F6C_DD1D);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Fills `out` with independent uniform draws in [−1, 1) (points of [−1, 1]^d, row-major).
pub fn uniform_points<R: Rng + ?Sized>(rng: &mut R, out: &mut [f64]) {
    for v in out {
        *v = rng.random_range(-1.0..1.0);
    }
}
