//! # prdp-testing
//!
//! What the test suites of the prdp crates share, so that each helper exists once: seeded
//! random vectors ([`rng`], [`vector`]), comparisons ([`dot`], [`norm`], [`rel_err`],
//! [`max_abs_diff`]), directional finite-difference checks of gradients
//! ([`check_directional`]), an allocator that counts allocations ([`CountingAllocator`]) and
//! fresh scratch directories ([`scratch_dir`]).
//!
//! A development dependency only; it depends on no prdp crate (a test of prdp-core that used
//! a prdp-core type from here would see a second copy of that crate), so helpers that build
//! prdp types stay in the crate's own `tests/it/common.rs`.
//!
//! # Example
//! ```
//! use prdp_testing::{check_directional, dot_and_scale, vector};
//!
//! // L(z) = ⟨z, z⟩ / 2 has the gradient z.
//! let z = vector(7, 12);
//! check_directional("half squared norm", &z, &z, 1, 3, |z| {
//!     let (l, scale) = dot_and_scale(z, z);
//!     (l / 2.0, scale)
//! });
//! ```

#![deny(missing_docs)]

mod alloc;
mod compare;
mod finite_diff;
mod random;
mod scratch;

pub use alloc::{CountingAllocator, allocations_on_all_threads, allocations_on_this_thread};
pub use compare::{dot, dot_and_scale, max_abs_diff, norm, rel_err};
pub use finite_diff::check_directional;
pub use random::{rng, uniform, vector};
pub use scratch::scratch_dir;
