//! Networks with one trunk per output: the same functions as separate networks, and a
//! Gauss–Newton matrix that is block-diagonal over the trunks.

use neural_ivp::{Activation, BlockOperator, Forward, GaussNewton, Network, NetworkConfig, Trunks};
use prdp_core::LinearOperator;

use crate::{points, small_net};
use prdp_testing::vector;

/// Output k of a per-output network is, bit for bit, a one-output network evaluated at the
/// k-th trunk's parameters; the tensors name their trunk.
#[test]
fn per_output_trunks_are_separate_networks() {
    let net = small_net(3, 2, true, Activation::Swish, true, Trunks::PerOutput);
    let one = small_net(3, 1, true, Activation::Swish, true, Trunks::Shared);
    assert_eq!(net.trunks(), 2);
    assert_eq!(net.num_params(), 2 * one.num_params());
    assert_eq!(net.tensors()[0].name, "outputs.0.layers.0.weight");
    assert_eq!(one.tensors()[0].name, "layers.0.weight");
    let theta = vector(31, net.num_params());
    let xs = points(50, 3, 32);
    let mut u = vec![0.0; 100];
    net.eval(&theta, &xs, &mut u).unwrap();
    for k in 0..2 {
        let mut uk = vec![0.0; 50];
        one.eval(&theta[net.trunk_params(k)], &xs, &mut uk).unwrap();
        for i in 0..50 {
            assert_eq!(u[2 * i + k], uk[i], "output {k} at point {i}");
        }
    }
    let shared = small_net(3, 2, true, Activation::Swish, true, Trunks::Shared);
    assert_eq!(shared.trunks(), 1);
    assert_eq!(shared.trunk_params(0), 0..shared.num_params());
}

/// The whole operator maps a vector supported on one block into that block only, where it
/// equals the block operator; F̂ of a block is the block's part of the whole F̂.
#[test]
fn gauss_newton_is_block_diagonal_over_trunks() {
    let net = small_net(3, 2, true, Activation::Tanh, true, Trunks::PerOutput);
    let theta = vector(41, net.num_params());
    let n = 300;
    let xs = points(n, 3, 42);
    let mut fwd = Forward::new();
    net.forward(&theta, &xs, &mut fwd).unwrap();
    let whole = GaussNewton::new(&net, &theta, &fwd).unwrap();
    let p = net.num_params();
    let f = vector(43, n * 2);
    let mut fhat = vec![0.0; p];
    whole.rhs(&f, &mut fhat).unwrap();
    for k in 0..2 {
        let range = net.trunk_params(k);
        let block = GaussNewton::block(&net, k, &theta, &fwd).unwrap();
        assert_eq!(block.dim(), range.len());
        assert_eq!(LinearOperator::nrows(&block), range.len());
        let vk = vector(44 + k as u64, range.len());
        let mut v = vec![0.0; p];
        v[range.clone()].copy_from_slice(&vk);
        let mut mv = vec![0.0; p];
        whole.apply_block(&v, 1, &mut mv).unwrap();
        let mut mvk = vec![0.0; range.len()];
        block.apply_block(&vk, 1, &mut mvk).unwrap();
        let scale = mvk.iter().fold(0.0f64, |a, b| a.max(b.abs()));
        assert!(scale > 0.0);
        for (j, &x) in mv.iter().enumerate() {
            if range.contains(&j) {
                assert!((x - mvk[j - range.start]).abs() <= 1e-13 * scale, "M̂v[{j}]");
            } else {
                assert_eq!(x, 0.0, "off-diagonal block at {j}");
            }
        }
        let mut fk = vec![0.0; range.len()];
        block.rhs(&f, &mut fk).unwrap();
        for (a, b) in fk.iter().zip(&fhat[range]) {
            assert!((a - b).abs() <= 1e-13 * b.abs().max(1e-3), "F̂ {a} vs {b}");
        }
    }
    assert!(GaussNewton::block(&net, 2, &theta, &fwd).is_err());
}

/// A per-output config round-trips through serde and the shared trunk stays selectable.
#[test]
fn trunks_are_configurable() {
    let cfg: NetworkConfig = serde_json::from_str(r#"{"trunks": "shared"}"#).unwrap();
    assert_eq!(cfg.trunks, Trunks::Shared);
    assert_eq!(NetworkConfig::default().trunks, Trunks::PerOutput);
    assert!(serde_json::from_str::<NetworkConfig>(r#"{"trunks": "both"}"#).is_err());
    let net = Network::new(&cfg, 2, 3).unwrap();
    assert_eq!((net.trunks(), net.trunk_outputs(0)), (1, 0..3));
}
