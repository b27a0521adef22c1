//! Integration tests of neural-ivp (one binary).

mod checkpoints;
mod derivatives;
mod dynamics;
mod fitting;
mod linear;
mod references;
mod restarts;
mod runge_kutta;
mod sampling;
mod trunks;

use neural_ivp::{Activation, EmbeddingConfig, Network, NetworkConfig, Trunks};
use prdp_testing::vector;

/// A small network with the given options.
pub fn small_net(
    d: usize,
    m: usize,
    embedding: bool,
    activation: Activation,
    dirichlet: bool,
    trunks: Trunks,
) -> Network {
    Network::new(
        &NetworkConfig {
            width: 7,
            depth: 2,
            embedding: embedding.then(|| EmbeddingConfig {
                frequencies: 3,
                ..Default::default()
            }),
            activation,
            dirichlet,
            trunks,
        },
        d,
        m,
    )
    .unwrap()
}

/// The default network (embedding, swish, Dirichlet factor) with 2 hidden layers of 16 units
/// on [−1, 1]^d and one output.
pub fn net_16x2(d: usize) -> Network {
    Network::new(
        &NetworkConfig {
            width: 16,
            depth: 2,
            ..Default::default()
        },
        d,
        1,
    )
    .unwrap()
}

/// n uniform points in [−0.9, 0.9]^d.
pub fn points(n: usize, d: usize, seed: u64) -> Vec<f64> {
    let mut p = vector(seed, n * d);
    p.iter_mut().for_each(|v| *v *= 0.9);
    p
}
