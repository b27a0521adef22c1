//! Integration tests of prdp-core (one binary, one module per feature).

mod common;
mod direct;
mod kernels;
mod operators;
mod stencil;
