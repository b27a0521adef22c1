//! Shared helpers: random vectors, small problems of every kind.

use prdp_core::{Boundary, LinearOperator};
use prdp_pde::{
    Assembly, Burgers1d, Burgers2d, BurgersConfig, Heat, HeatConfig, NavierStokes,
    NavierStokesConfig, NsScheme, Poisson, PoissonConfig,
};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

pub fn vector(seed: u64, n: usize) -> Vec<f64> {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| r.random_range(-1.0..1.0)).collect()
}

pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

pub fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

pub fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

pub fn heat(dims: &[usize], boundary: Boundary) -> Heat<f64> {
    Heat::new(HeatConfig {
        dims: dims.to_vec(),
        boundary,
        nu: 0.01,
        dt: 0.5,
        length: 1.0,
    })
    .unwrap()
}

pub fn poisson(n: usize, modes: usize) -> Poisson<f64> {
    Poisson::new(PoissonConfig { n, modes }).unwrap()
}

pub fn burgers_config(n: usize) -> BurgersConfig {
    BurgersConfig {
        n,
        nu: 0.01,
        dt: 0.02,
        ..BurgersConfig::default()
    }
}

pub fn burgers1d(n: usize) -> Burgers1d<f64> {
    Burgers1d::new(burgers_config(n)).unwrap()
}

pub fn burgers2d(n: usize) -> Burgers2d<f64> {
    Burgers2d::new(burgers_config(n)).unwrap()
}

pub fn ns(n: usize, scheme: NsScheme) -> NavierStokes<f64> {
    NavierStokes::new(NavierStokesConfig {
        n,
        nu: 0.01,
        dt: 0.05,
        length: 1.0,
        scheme,
    })
    .unwrap()
}

/// The operator of `a` at input `g`, materialised densely (row-major), plus its diagonal.
pub fn dense<A: Assembly<f64>>(a: &A, g: &[f64]) -> (usize, Vec<f64>) {
    let mut scratch = vec![0.0; a.operator_scratch_len()];
    let op = a.operator(g, &mut scratch);
    let n = op.nrows();
    let mut m = vec![0.0; n * n];
    op.for_each_entry(&mut |i, j, v| m[i * n + j] += v);
    (n, m)
}
