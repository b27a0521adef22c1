//! Small problems of every kind, and the generic helpers of prdp-testing the tests use.

use prdp_core::{Boundary, LinearOperator};
use prdp_pde::{
    Assembly, Burgers1d, Burgers2d, BurgersConfig, Heat, HeatConfig, NavierStokes,
    NavierStokesConfig, NsScheme, Poisson, PoissonConfig,
};
pub use prdp_testing::{dot, max_abs_diff, norm, vector};

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
