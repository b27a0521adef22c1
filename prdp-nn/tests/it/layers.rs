//! Gradients of every layer kind against central differences (f64), property-tested over
//! shapes, channels, kernel sizes and padding modes.

use prdp_nn::{Activation, LayerConfig, Padding};
use proptest::prelude::*;

use crate::common::{check_model_gradients, sequential};

fn activation() -> impl Strategy<Value = Activation> {
    prop_oneof![
        Just(Activation::Relu),
        Just(Activation::Swish),
        Just(Activation::Tanh),
        Just(Activation::Gelu),
    ]
}

fn padding() -> impl Strategy<Value = Padding> {
    prop_oneof![Just(Padding::Circular), Just(Padding::Zero)]
}

fn linear(out_features: usize, bias: bool) -> LayerConfig {
    LayerConfig::Linear { out_features, bias }
}

fn act(function: Activation) -> LayerConfig {
    LayerConfig::Activation { function }
}

/// A 1–3D grid with every extent at least `k`.
fn grid(k: usize) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(k..k + 3, 1..=3)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn linear_layer(inp in 1usize..7, out in 1usize..7, bias: bool, batch in 1usize..5, seed: u64) {
        let model = sequential(&[inp], vec![linear(out, bias)]);
        check_model_gradients(&model, batch, seed);
    }

    #[test]
    fn conv_layer(
        (k, grid) in (1usize..5).prop_flat_map(|k| (Just(k), grid(k))),
        cin in 1usize..4,
        cout in 1usize..4,
        padding in padding(),
        bias: bool,
        batch in 1usize..4,
        seed: u64,
    ) {
        let mut shape = vec![cin];
        shape.extend(&grid);
        let model = sequential(&shape, vec![LayerConfig::Conv { out_channels: cout, kernel_size: k, padding, bias }]);
        check_model_gradients(&model, batch, seed);
    }

    #[test]
    fn activation_after_linear(f in activation(), n in 1usize..8, batch in 1usize..5, seed: u64) {
        let model = sequential(&[3], vec![linear(n, true), act(f), linear(2, true)]);
        check_model_gradients(&model, batch, seed);
    }

    #[test]
    fn activation_on_the_input(f in activation(), n in 1usize..8, batch in 1usize..5, seed: u64) {
        let model = sequential(&[n], vec![act(f), linear(3, true)]);
        check_model_gradients(&model, batch, seed);
    }

    #[test]
    fn stacked_activations(fs in prop::collection::vec(activation(), 1..5), batch in 1usize..4, seed: u64) {
        let mut layers = vec![linear(5, true)];
        layers.extend(fs.into_iter().map(act));
        layers.push(linear(2, false));
        let model = sequential(&[4], layers);
        check_model_gradients(&model, batch, seed);
    }

    #[test]
    fn residual_block(
        inner in activation(),
        post in prop::option::of(activation()),
        end_with_activation: bool,
        batch in 1usize..4,
        seed: u64,
    ) {
        let mut body = vec![linear(6, true), act(inner), linear(4, true)];
        if end_with_activation {
            body.push(act(inner));
        }
        let model = sequential(&[3], vec![
            linear(4, true),
            LayerConfig::Residual { body, activation: post },
            linear(2, true),
        ]);
        check_model_gradients(&model, batch, seed);
    }

    #[test]
    fn residual_on_the_input_and_nested(f in activation(), batch in 1usize..4, seed: u64) {
        let inner = LayerConfig::Residual { body: vec![linear(4, true), act(f)], activation: Some(f) };
        let model = sequential(&[4], vec![
            LayerConfig::Residual { body: vec![inner, linear(4, true)], activation: None },
            LayerConfig::Residual { body: vec![act(f)], activation: Some(f) },
        ]);
        check_model_gradients(&model, batch, seed);
    }

    #[test]
    fn conv_residual(
        padding in padding(),
        f in activation(),
        k in 1usize..4,
        batch in 1usize..4,
        seed: u64,
    ) {
        let conv = |c| LayerConfig::Conv { out_channels: c, kernel_size: k, padding, bias: true };
        let model = sequential(&[2, 4, 5], vec![
            conv(3),
            LayerConfig::Residual { body: vec![conv(3), act(f), conv(3)], activation: Some(f) },
            conv(1),
        ]);
        check_model_gradients(&model, batch, seed);
    }
}
