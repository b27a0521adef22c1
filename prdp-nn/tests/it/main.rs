//! Integration tests of prdp-nn (one binary, one module per feature).

mod alloc;
mod checkpoint;
mod common;
mod config;
mod conv;
mod layers;
mod loss;
mod mlp;
mod models;
mod optim;
mod schedule;
