//! Integration tests of prdp-pde.

// Reference loops are written index by index, as in the formulas they transcribe.
#![allow(clippy::needless_range_loop)]

mod bad_input;
mod common;
mod convergence;
mod data;
mod gradients;
mod operators;
mod physics;
mod reductions;
mod symbols;
