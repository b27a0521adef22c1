//! Integration tests of prdp-solvers.

// Reference loops are written index by index, as in the textbooks they transcribe.
#![allow(clippy::needless_range_loop)]

mod bad_input;
mod batch;
mod batch_major;
mod common;
mod convergence;
mod gradients;
mod reference_loops;
mod reports;
