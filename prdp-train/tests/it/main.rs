//! Integration tests of prdp-train.

mod reference_schedule;
mod refine;
mod runs;
mod timescale;
