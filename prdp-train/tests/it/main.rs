//! Integration tests of prdp-train.

mod data_parallel;
mod ledger;
mod probe;
mod reference_schedule;
mod refine;
mod replay;
mod runs;
mod timescale;
