//! Integration tests of prdp-train.

mod ledger;
mod refine;
mod replay;
mod runs;
