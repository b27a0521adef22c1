//! Convolutions against a naive reference loop; circular padding wraps, zero padding does not.

use prdp_nn::{LayerConfig, Padding};
use proptest::prelude::*;

use crate::common::{Conv, check_model_gradients, naive_conv, sequential, vector};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn conv_equals_naive_loop(
        (k, grid) in (1usize..6).prop_flat_map(|k| (Just(k), prop::collection::vec(k..k + 4, 1..=3))),
        cin in 1usize..4,
        cout in 1usize..4,
        circular: bool,
        bias: bool,
        batch in 1usize..4,
        seed: u64,
    ) {
        let padding = if circular { Padding::Circular } else { Padding::Zero };
        let mut shape = vec![cin];
        shape.extend(&grid);
        let model = sequential(&shape, vec![LayerConfig::Conv { out_channels: cout, kernel_size: k, padding, bias }]);
        let params = model.init(seed);
        let x = vector(seed ^ 1, batch * model.input_size());
        let mut ws = model.workspace(batch).unwrap();
        let y = model.forward(&params, &x, batch, &mut ws).unwrap();
        let w = model.param(&params, "0.weight").unwrap();
        let b = model.param(&params, "0.bias");
        for s in 0..batch {
            let xs = &x[s * model.input_size()..(s + 1) * model.input_size()];
            let reference = naive_conv(xs, w, b, &Conv { grid: &grid, cin, cout, k, circular });
            let ys = &y[s * model.output_size()..(s + 1) * model.output_size()];
            for (i, (a, r)) in ys.iter().zip(&reference).enumerate() {
                prop_assert!((a - r).abs() <= 1e-13 * (1.0 + r.abs()), "sample {s} entry {i}: {a} vs {r}");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Two stacked convolutions (the hidden activation is stored channels-last) equal two naive
    /// loops.
    #[test]
    fn stacked_convs_equal_naive_loops(
        (k, grid) in (1usize..5).prop_flat_map(|k| (Just(k), prop::collection::vec(k..k + 3, 1..=3))),
        channels in (1usize..4, 1usize..4, 1usize..4),
        circular: bool,
        batch in 1usize..3,
        seed: u64,
    ) {
        let (c0, c1, c2) = channels;
        let padding = if circular { Padding::Circular } else { Padding::Zero };
        let mut shape = vec![c0];
        shape.extend(&grid);
        let conv = |out_channels| LayerConfig::Conv { out_channels, kernel_size: k, padding, bias: true };
        let model = sequential(&shape, vec![conv(c1), conv(c2)]);
        let params = model.init(seed);
        let x = vector(seed ^ 1, batch * model.input_size());
        let mut ws = model.workspace(batch).unwrap();
        let y = model.forward(&params, &x, batch, &mut ws).unwrap();
        let p = |name: &str| model.param(&params, name).unwrap();
        for s in 0..batch {
            let xs = &x[s * model.input_size()..(s + 1) * model.input_size()];
            let first = Conv { grid: &grid, cin: c0, cout: c1, k, circular };
            let second = Conv { grid: &grid, cin: c1, cout: c2, k, circular };
            let h = naive_conv(xs, p("0.weight"), Some(p("0.bias")), &first);
            let reference = naive_conv(&h, p("1.weight"), Some(p("1.bias")), &second);
            let ys = &y[s * model.output_size()..(s + 1) * model.output_size()];
            for (i, (a, r)) in ys.iter().zip(&reference).enumerate() {
                prop_assert!((a - r).abs() <= 1e-12 * (1.0 + r.abs()), "sample {s} entry {i}: {a} vs {r}");
            }
        }
    }
}

/// A one-channel 1D convolution with kernel [1, 0, 0] reads the left neighbour: a spike at the
/// last point shows up at point 0 only with circular padding.
#[test]
fn circular_padding_wraps_and_zero_padding_does_not() {
    for (padding, expect_wrap) in [(Padding::Circular, true), (Padding::Zero, false)] {
        let model = sequential(
            &[1, 5],
            vec![LayerConfig::Conv {
                out_channels: 1,
                kernel_size: 3,
                padding,
                bias: false,
            }],
        );
        let params = vec![1.0, 0.0, 0.0];
        let mut ws = model.workspace(1).unwrap();
        let y = model
            .forward(&params, &[0.0, 0.0, 0.0, 0.0, 1.0], 1, &mut ws)
            .unwrap();
        assert_eq!(y, [if expect_wrap { 1.0 } else { 0.0 }, 0.0, 0.0, 0.0, 0.0]);
        // A spike at point 0 moves to point 1 either way.
        let y = model
            .forward(&params, &[1.0, 0.0, 0.0, 0.0, 0.0], 1, &mut ws)
            .unwrap();
        assert_eq!(y, [0.0, 1.0, 0.0, 0.0, 0.0]);
    }
}

/// The same in 2D along the first (non-contiguous) axis and in 3D along the middle one.
#[test]
fn wrapping_acts_on_every_axis() {
    // 2D, kernel 3x3 picking the tap one row up: y[i, j] = x[i - 1, j].
    for (padding, wrap) in [(Padding::Circular, 1.0), (Padding::Zero, 0.0)] {
        let model = sequential(
            &[1, 3, 4],
            vec![LayerConfig::Conv {
                out_channels: 1,
                kernel_size: 3,
                padding,
                bias: false,
            }],
        );
        let mut w = vec![0.0; 9];
        w[1] = 1.0;
        let mut x = vec![0.0; 12];
        x[2 * 4 + 1] = 1.0;
        let mut ws = model.workspace(1).unwrap();
        let y = model.forward(&w, &x, 1, &mut ws).unwrap();
        let mut expect = vec![0.0; 12];
        expect[1] = wrap;
        assert_eq!(y, expect.as_slice());

        let model = sequential(
            &[1, 2, 3, 2],
            vec![LayerConfig::Conv {
                out_channels: 1,
                kernel_size: 2,
                padding,
                bias: false,
            }],
        );
        // Kernel 2 has taps at offsets 0 and +1; pick offset +1 along the middle axis.
        let mut w = vec![0.0; 8];
        w[2] = 1.0;
        let mut x = vec![0.0; 12];
        x[2] = 1.0; // (0, 1, 0)
        let mut ws = model.workspace(1).unwrap();
        let y = model.forward(&w, &x, 1, &mut ws).unwrap();
        let mut expect = vec![0.0; 12];
        expect[0] = 1.0; // (0, 0, 0) reads (0, 1, 0)
        let mut x = vec![0.0; 12];
        x[0] = 1.0; // (0, 0, 0) is read by (0, 2, 0) only through the wrap
        assert_eq!(y, expect.as_slice());
        let y = model.forward(&w, &x, 1, &mut ws).unwrap();
        let mut expect = vec![0.0; 12];
        expect[4] = wrap;
        assert_eq!(y, expect.as_slice());
    }
}

/// Hidden activations with many channels are convolved in blocks of grid points (which split
/// grid lines); the result must not depend on where the blocks end.
#[test]
fn blocked_convs_equal_naive_loops_and_differentiate() {
    for (grid, hidden, k, circular) in [
        (vec![20, 20], 32, 3, true),
        (vec![8, 9, 10], 24, 3, false),
        (vec![700], 32, 5, true),
        (vec![30, 31], 20, 4, false),
    ] {
        let padding = if circular {
            Padding::Circular
        } else {
            Padding::Zero
        };
        let conv = |out_channels| LayerConfig::Conv {
            out_channels,
            kernel_size: k,
            padding,
            bias: true,
        };
        let mut shape = vec![2];
        shape.extend(&grid);
        let model = sequential(&shape, vec![conv(hidden), conv(hidden), conv(1)]);
        let batch = 2;
        let params = model.init(3);
        let x = vector(4, batch * model.input_size());
        let mut ws = model.workspace(batch).unwrap();
        let y = model.forward(&params, &x, batch, &mut ws).unwrap();
        let p = |name: &str| model.param(&params, name).unwrap();
        let xs = &x[..model.input_size()];
        let h1 = naive_conv(
            xs,
            p("0.weight"),
            Some(p("0.bias")),
            &Conv {
                grid: &grid,
                cin: 2,
                cout: hidden,
                k,
                circular,
            },
        );
        let h2 = naive_conv(
            &h1,
            p("1.weight"),
            Some(p("1.bias")),
            &Conv {
                grid: &grid,
                cin: hidden,
                cout: hidden,
                k,
                circular,
            },
        );
        let reference = naive_conv(
            &h2,
            p("2.weight"),
            Some(p("2.bias")),
            &Conv {
                grid: &grid,
                cin: hidden,
                cout: 1,
                k,
                circular,
            },
        );
        for (i, (a, r)) in y.iter().zip(&reference).enumerate() {
            assert!(
                (a - r).abs() <= 1e-12 * (1.0 + r.abs()),
                "{grid:?} entry {i}: {a} vs {r}"
            );
        }
        check_model_gradients(&model, batch, 5);
    }
}
