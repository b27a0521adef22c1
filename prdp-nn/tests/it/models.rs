//! MLP and ResNet: gradients, parameter layout, initialisation, batching, threads, errors.

use prdp_nn::{
    Activation, Architecture, Init, MlpConfig, Model, NnError, Padding, ParamKind, ResNetConfig,
};
use proptest::prelude::*;

use crate::common::{check_directional, check_model_gradients, dot_and_scale, vector};

fn activation() -> impl Strategy<Value = Activation> {
    prop_oneof![
        Just(Activation::Relu),
        Just(Activation::Swish),
        Just(Activation::Tanh),
        Just(Activation::Gelu),
    ]
}

fn mlp(inp: usize, out: usize, width: usize, depth: usize, activation: Activation) -> Model<f64> {
    Model::new(Architecture::Mlp(MlpConfig {
        in_features: inp,
        out_features: out,
        width,
        depth,
        activation,
        ..Default::default()
    }))
    .unwrap()
}

fn small_resnet(grid: Vec<usize>, padding: Padding) -> ResNetConfig {
    ResNetConfig {
        grid,
        in_channels: 2,
        out_channels: 3,
        hidden_channels: 4,
        blocks: 2,
        kernel_size: 3,
        padding,
        ..Default::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn mlp_gradients(
        inp in 1usize..6,
        out in 1usize..6,
        width in 1usize..9,
        depth in 0usize..4,
        f in activation(),
        final_act in prop::option::of(activation()),
        batch in 1usize..6,
        seed: u64,
    ) {
        let model = Model::new(Architecture::Mlp(MlpConfig {
            in_features: inp, out_features: out, width, depth, activation: f,
            final_activation: final_act, ..Default::default()
        })).unwrap();
        check_model_gradients(&model, batch, seed);
    }

    #[test]
    fn resnet_gradients(
        grid in prop::collection::vec(3usize..6, 1..=3),
        channels in (1usize..3, 1usize..3, 1usize..4),
        blocks in 0usize..3,
        kernels in (1usize..4, 1usize..3, 1usize..3),
        padding in prop_oneof![Just(Padding::Circular), Just(Padding::Zero)],
        f in activation(),
        bias: bool,
        batch in 1usize..4,
        seed: u64,
    ) {
        let model = Model::new(Architecture::ResNet(ResNetConfig {
            grid, in_channels: channels.0, out_channels: channels.1, hidden_channels: channels.2,
            blocks, kernel_size: kernels.0, lifting_kernel_size: kernels.1,
            projection_kernel_size: kernels.2, padding, activation: f, bias, ..Default::default()
        })).unwrap();
        check_model_gradients(&model, batch, seed);
    }
}

#[test]
fn paper_mlps_have_the_reference_layout() {
    let heat1d = mlp(30, 30, 64, 3, Activation::Relu);
    let shapes: Vec<(&str, Vec<usize>)> = heat1d
        .views()
        .iter()
        .map(|v| (v.name.as_str(), v.shape.clone()))
        .collect();
    assert_eq!(
        shapes,
        [
            ("layers.0.weight", vec![64, 30]),
            ("layers.0.bias", vec![64]),
            ("layers.1.weight", vec![64, 64]),
            ("layers.1.bias", vec![64]),
            ("layers.2.weight", vec![64, 64]),
            ("layers.2.bias", vec![64]),
            ("layers.3.weight", vec![30, 64]),
            ("layers.3.bias", vec![30]),
        ]
    );
    assert_eq!(
        heat1d.num_params(),
        30 * 64 + 64 + 2 * (64 * 64 + 64) + 64 * 30 + 30
    );
    let mut next = 0;
    for v in heat1d.views() {
        assert_eq!(v.offset, next, "{} is not contiguous", v.name);
        next += v.len();
    }
    let heat2d = mlp(900, 900, 3000, 3, Activation::Relu);
    assert_eq!(
        heat2d.num_params(),
        900 * 3000 + 3000 + 2 * (3000 * 3000 + 3000) + 3000 * 900 + 900
    );
    assert!(!heat2d.splits_batch() && heat1d.splits_batch());
}

#[test]
fn navier_stokes_resnet_has_the_pdequinox_layout() {
    let model = Model::<f32>::new(Architecture::ResNet(ResNetConfig {
        grid: vec![48, 48],
        in_channels: 3,
        out_channels: 3,
        hidden_channels: 64,
        blocks: 3,
        ..Default::default()
    }))
    .unwrap();
    let v = |n: &str| model.view(n).unwrap().shape.clone();
    assert_eq!(v("lifting.weight"), [64, 3, 1, 1]);
    assert_eq!(v("lifting.bias"), [64]);
    assert_eq!(v("blocks.0.conv1.weight"), [64, 64, 3, 3]);
    assert_eq!(v("blocks.2.conv2.bias"), [64]);
    assert_eq!(v("projection.weight"), [3, 64, 1, 1]);
    assert_eq!(model.views().len(), 4 + 3 * 4);
    assert_eq!(model.input_shape(), [3, 48, 48]);
    assert_eq!(model.output_shape(), [3, 48, 48]);
    assert_eq!(
        model.forward_flops(),
        2 * 2304 * (3 * 64 + 6 * 64 * 64 * 9 + 64 * 3) as u64
    );
    assert_eq!(model.backward_flops(true), 2 * model.forward_flops());
    assert_eq!(
        model.backward_flops(false),
        2 * model.forward_flops() - 2 * 2304 * 3 * 64
    );
}

#[test]
fn same_seed_same_bits_and_f32_is_rounded_f64() {
    let model = mlp(5, 3, 7, 2, Activation::Tanh);
    let a = model.init(11);
    assert_eq!(a, model.init(11));
    assert_ne!(a, model.init(12));
    let m32 = Model::<f32>::new(model.architecture().clone()).unwrap();
    let b = m32.init(11);
    assert!(a.iter().zip(&b).all(|(x, y)| *x as f32 == *y));
}

#[test]
fn initialisers_respect_their_ranges() {
    let stats = |init: Init| {
        let model = Model::<f64>::new(Architecture::Mlp(MlpConfig {
            in_features: 400,
            out_features: 100,
            width: 200,
            depth: 1,
            init,
            ..Default::default()
        }))
        .unwrap();
        let p = model.init(3);
        let w = model.param(&p, "layers.0.weight").unwrap();
        let b = model.param(&p, "layers.0.bias").unwrap();
        let max = w.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        let std = (w.iter().map(|x| x * x).sum::<f64>() / w.len() as f64).sqrt();
        (max, std, b.to_vec())
    };
    let (max, std, b) = stats(Init::Uniform);
    let lim = 1.0 / 400f64.sqrt();
    assert!(max < lim && max > 0.99 * lim);
    assert!((std - lim / 3f64.sqrt()).abs() < 0.02 * lim);
    assert!(b.iter().all(|x| x.abs() < lim) && b.iter().any(|x| *x != 0.0));
    let (_, std, b) = stats(Init::KaimingNormal);
    assert!((std - (2.0 / 400.0f64).sqrt()).abs() < 0.02 * std);
    assert!(b.iter().all(|x| *x == 0.0));
    let (max, _, _) = stats(Init::KaimingUniform);
    assert!(max < (6.0 / 400.0f64).sqrt() && max > 0.99 * (6.0 / 400.0f64).sqrt());
    let (_, std, _) = stats(Init::XavierNormal);
    assert!((std - (2.0 / 600.0f64).sqrt()).abs() < 0.02 * std);
    let (max, _, _) = stats(Init::XavierUniform);
    assert!(max < 0.1 && max > 0.099);
}

/// Outputs and gradients for a batch do not depend on how it is chunked or on the number of
/// threads, and a workspace runs batches smaller than its capacity.
fn batching_is_consistent(model: &Model<f64>, capacity: usize) {
    let params = model.init(5);
    let run = |chunks: usize, batch: usize| {
        let mut ws = model.workspace_with_chunks(capacity, chunks).unwrap();
        let x = vector(1, batch * model.input_size());
        let r = vector(2, batch * model.output_size());
        let y = model.forward(&params, &x, batch, &mut ws).unwrap().to_vec();
        let mut g = vec![0.0; model.num_params()];
        let mut xb = vec![0.0; x.len()];
        model
            .backward_replace(&params, &mut ws, &r, Some(&mut xb), &mut g)
            .unwrap();
        (y, g, xb)
    };
    let close = |a: &[f64], b: &[f64]| {
        a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= 1e-12 * (1.0 + x.abs()))
    };
    assert!(
        model.workspace_with_chunks(capacity, 3).unwrap().chunks() == 3,
        "the model is too small to split"
    );
    let one = run(1, capacity);
    for chunks in [2, 3, capacity] {
        let other = run(chunks, capacity);
        assert!(
            close(&one.0, &other.0) && close(&one.1, &other.1) && close(&one.2, &other.2),
            "{chunks} chunks"
        );
    }
    let small = run(3, capacity - 2);
    let direct = {
        let mut ws = model.workspace_with_chunks(capacity - 2, 3).unwrap();
        let x = vector(1, (capacity - 2) * model.input_size());
        model
            .forward(&params, &x, capacity - 2, &mut ws)
            .unwrap()
            .to_vec()
    };
    assert!(close(&small.0, &direct));
    let pool = |n| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .unwrap()
    };
    let serial = pool(1).install(|| run(3, capacity));
    let parallel = pool(2).install(|| run(3, capacity));
    assert_eq!(serial, parallel, "results depend on the thread count");
}

#[test]
fn batching_and_threads_do_not_change_results() {
    // Models big enough to be worth a second thread.
    batching_is_consistent(&mlp(6, 4, 1000, 2, Activation::Tanh), 17);
    let resnet = Model::new(Architecture::ResNet(ResNetConfig {
        hidden_channels: 12,
        ..small_resnet(vec![32, 32], Padding::Zero)
    }))
    .unwrap();
    batching_is_consistent(&resnet, 5);
    // Small ones run on one thread.
    assert_eq!(
        mlp(6, 4, 9, 2, Activation::Tanh)
            .workspace(100)
            .unwrap()
            .chunks(),
        1
    );
}

#[test]
fn wide_dense_layers_split_products_not_batches() {
    let model = mlp(1000, 8, 1100, 1, Activation::Relu);
    assert!(!model.splits_batch());
    let params = model.init(1);
    let x = vector(3, 4 * 1000);
    let r = vector(4, 4 * 8);
    let run = |threads| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| {
                let mut ws = model.workspace(4).unwrap();
                assert_eq!(ws.chunks(), 1);
                let y = model.forward(&params, &x, 4, &mut ws).unwrap().to_vec();
                let mut g = vec![0.0; model.num_params()];
                model
                    .backward_replace(&params, &mut ws, &r, None, &mut g)
                    .unwrap();
                (y, g)
            })
    };
    assert_eq!(run(1), run(2), "results depend on the thread count");
    check_model_gradients(&model, 3, 9);
}

/// Two calls of one network sharing a parameter-gradient buffer, as in backpropagation through
/// time: y = f(θ, f(θ, x)).
#[test]
fn two_calls_share_one_gradient() {
    let model = Model::<f64>::new(Architecture::ResNet(ResNetConfig {
        in_channels: 3,
        ..small_resnet(vec![7], Padding::Circular)
    }))
    .unwrap();
    let batch = 3;
    let params = model.init(21);
    let x = vector(22, batch * model.input_size());
    let r = vector(23, batch * model.output_size());
    let (mut ws1, mut ws2) = (
        model.workspace(batch).unwrap(),
        model.workspace(batch).unwrap(),
    );
    let u1 = model
        .forward(&params, &x, batch, &mut ws1)
        .unwrap()
        .to_vec();
    model.forward(&params, &u1, batch, &mut ws2).unwrap();
    let mut grad = vec![0.0; model.num_params()];
    let mut u1_bar = vec![0.0; u1.len()];
    model
        .backward(&params, &mut ws2, &r, Some(&mut u1_bar), &mut grad)
        .unwrap();
    model
        .backward(&params, &mut ws1, &u1_bar, None, &mut grad)
        .unwrap();
    let mut probe = model.workspace(batch).unwrap();
    check_directional("two-call gradient", &params, &grad, 4, 3, |p| {
        let u1 = model.forward(p, &x, batch, &mut probe).unwrap().to_vec();
        dot_and_scale(model.forward(p, &u1, batch, &mut probe).unwrap(), &r)
    });
}

#[test]
fn entry_points_reject_bad_calls() {
    let model = mlp(3, 2, 4, 1, Activation::Relu);
    let other = mlp(3, 2, 5, 1, Activation::Relu);
    let p = model.init(0);
    let mut ws = model.workspace(4).unwrap();
    let mut g = vec![0.0; model.num_params()];
    assert!(matches!(
        model.backward(&p, &mut ws, &[0.0; 8], None, &mut g),
        Err(NnError::NoForward)
    ));
    assert!(matches!(
        model.jvp(&p, &mut ws, &p, None, &mut [0.0; 8]),
        Err(NnError::NoForward)
    ));
    assert!(matches!(
        model.forward(&p, &[0.0; 15], 5, &mut ws),
        Err(NnError::Batch {
            batch: 5,
            capacity: 4
        })
    ));
    assert!(matches!(
        model.forward(&p, &[], 0, &mut ws),
        Err(NnError::Batch { batch: 0, .. })
    ));
    let err = model.forward(&p, &[0.0; 8], 3, &mut ws).unwrap_err();
    assert!(
        matches!(
            &err,
            NnError::Length {
                expected: 9,
                got: 8,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("input"));
    assert!(matches!(
        model.forward(&p[1..], &[0.0; 9], 3, &mut ws),
        Err(NnError::Length { .. })
    ));
    let mut other_ws = other.workspace(4).unwrap();
    assert!(matches!(
        model.forward(&p, &[0.0; 9], 3, &mut other_ws),
        Err(NnError::WorkspaceMismatch { .. })
    ));
    model.forward(&p, &[0.0; 9], 3, &mut ws).unwrap();
    let err = model
        .backward(&p, &mut ws, &[0.0; 8], None, &mut g)
        .unwrap_err();
    assert!(err.to_string().contains("out_bar"), "{err}");
    let err = model
        .backward(&p, &mut ws, &[0.0; 6], Some(&mut [0.0; 8]), &mut g)
        .unwrap_err();
    assert!(err.to_string().contains("in_bar"), "{err}");
    let err = model
        .jvp(&p, &mut ws, &p[1..], None, &mut [0.0; 6])
        .unwrap_err();
    assert!(err.to_string().contains("param_dot"), "{err}");
    let err = model
        .jvp(&p, &mut ws, &p, Some(&[0.0; 8]), &mut [0.0; 6])
        .unwrap_err();
    assert!(err.to_string().contains("in_dot"), "{err}");
    assert!(model.workspace(0).is_err());
    assert_eq!(model.views()[1].kind, ParamKind::Bias);
}
