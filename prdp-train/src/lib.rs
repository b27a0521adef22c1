//! # prdp-train
//!
//! Progressively Refined Differentiable Physics (PRDP): train networks, or fit parameters,
//! through iterative PDE solvers while a controller decides how many solver iterations K each
//! update step gets.

#![deny(missing_docs)]

mod error;
mod ledger;
mod refine;

pub use error::TrainError;
pub use ledger::{Ledger, Phase, Savings, WallTimes, savings};
pub use refine::{
    Decision, InitialCheckpoint, Interval, MetricSource, PrdpConfig, Refiner, Schedule,
};
