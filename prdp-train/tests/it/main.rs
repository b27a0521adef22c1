//! Integration tests of prdp-train.

mod refine;
mod runs;
