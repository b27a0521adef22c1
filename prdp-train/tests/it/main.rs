//! Integration tests of prdp-train.

mod ledger;
mod reference_schedule;
mod refine;
mod replay;
mod runs;
mod timescale;
