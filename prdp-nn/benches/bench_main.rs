//! Forward + backward time per batch of 25 for the networks of the PRDP benchmarks, full
//! training steps (forward, loss, backward, Adam) of the two heat MLPs, and faer's GEMM rate for
//! reference. Throughputs are in FLOP/s (criterion prints them as elem/s): 2 × multiply–adds of
//! the dense products and convolutions.

use std::hint::black_box;
use std::time::Duration;

use criterion::{
    BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main, measurement::WallTime,
};
use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};
use prdp_nn::{Architecture, LrSchedule, MlpConfig, Model, Optimizer, Padding, ResNetConfig, nmse};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

const BATCH: usize = 25;

fn random(n: usize, seed: u64) -> Vec<f32> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| rng.random_range(-1.0f32..1.0)).collect()
}

fn mlp(inp: usize, width: usize) -> Architecture {
    Architecture::Mlp(MlpConfig {
        in_features: inp,
        out_features: inp,
        width,
        depth: 3,
        ..Default::default()
    })
}

fn resnet(
    grid: Vec<usize>,
    channels: usize,
    blocks: usize,
    hidden: usize,
    padding: Padding,
) -> Architecture {
    Architecture::ResNet(ResNetConfig {
        grid,
        in_channels: channels,
        out_channels: channels,
        hidden_channels: hidden,
        blocks,
        kernel_size: 3,
        padding,
        ..Default::default()
    })
}

/// The networks of the benchmark list, by name.
fn networks() -> Vec<(&'static str, Architecture)> {
    vec![
        ("mlp_30_64x3_heat1d", mlp(30, 64)),
        ("mlp_900_3000x3_heat2d", mlp(900, 3000)),
        (
            "resnet1d_6x32_256_burgers",
            resnet(vec![256], 1, 6, 32, Padding::Circular),
        ),
        (
            "resnet2d_3x64_48x48_ns",
            resnet(vec![48, 48], 3, 3, 64, Padding::Circular),
        ),
        (
            "resnet3d_6x32_20cubed_heat3d",
            resnet(vec![20, 20, 20], 1, 6, 32, Padding::Zero),
        ),
    ]
}

fn configure(g: &mut BenchmarkGroup<'_, WallTime>, flops: u64) {
    g.throughput(Throughput::Elements(flops));
    let heavy = flops > 20_000_000_000;
    g.sample_size(10);
    g.warm_up_time(Duration::from_millis(if heavy { 100 } else { 1000 }));
    g.measurement_time(Duration::from_secs(if heavy { 1 } else { 4 }));
}

/// faer's f32 GEMM on one and on all threads, and on the shape of a wide dense layer.
fn gemm(c: &mut Criterion) {
    let mut g = c.benchmark_group("faer_gemm_f32");
    for (m, n, k) in [(1024, 1024, 1024), (BATCH, 3000, 3000)] {
        let a = random(m * k, 1);
        let b = random(k * n, 2);
        let mut out = vec![0.0f32; m * n];
        configure(&mut g, 2 * (m * n * k) as u64);
        for (label, par) in [
            ("seq", Par::Seq),
            ("rayon", Par::rayon(rayon::current_num_threads())),
        ] {
            g.bench_function(format!("{m}x{n}x{k}_{label}"), |bench| {
                bench.iter(|| {
                    matmul(
                        MatMut::from_row_major_slice_mut(&mut out, m, n),
                        Accum::Replace,
                        MatRef::from_row_major_slice(&a, m, k),
                        MatRef::from_row_major_slice(&b, k, n),
                        1.0f32,
                        par,
                    );
                    black_box(&out);
                });
            });
        }
    }
    g.finish();
}

/// Forward + backward (parameter gradient, no input gradient) of a batch of 25.
fn forward_backward(c: &mut Criterion) {
    let mut g = c.benchmark_group("forward_backward_b25");
    for (name, arch) in networks() {
        let model = Model::<f32>::new(arch).unwrap();
        let params = model.init(0);
        let x = random(BATCH * model.input_size(), 1);
        let y_bar = random(BATCH * model.output_size(), 2);
        let mut grad = vec![0.0f32; model.num_params()];
        let mut ws = model.workspace(BATCH).unwrap();
        let flops = BATCH as u64 * (model.forward_flops() + model.backward_flops(false));
        configure(&mut g, flops);
        g.bench_function(name, |bench| {
            bench.iter(|| {
                model.forward(&params, &x, BATCH, &mut ws).unwrap();
                model
                    .backward_replace(&params, &mut ws, &y_bar, None, &mut grad)
                    .unwrap();
                black_box(&grad);
            });
        });
    }
    g.finish();
}

/// One full training step of the heat MLPs: forward, normalised MSE, backward, Adam.
fn train_step(c: &mut Criterion) {
    let mut g = c.benchmark_group("train_step_b25");
    for (name, arch) in networks().into_iter().take(2) {
        let model = Model::<f32>::new(arch).unwrap();
        let mut params = model.init(0);
        let x = random(BATCH * model.input_size(), 1);
        let target = random(BATCH * model.output_size(), 2);
        let mut y_bar = vec![0.0f32; target.len()];
        let mut grad = vec![0.0f32; model.num_params()];
        let mut ws = model.workspace(BATCH).unwrap();
        let opt = Optimizer::adam(LrSchedule::Constant { value: 1e-4 });
        let mut state = opt.init(params.len());
        configure(
            &mut g,
            BATCH as u64 * (model.forward_flops() + model.backward_flops(false)),
        );
        g.bench_function(name, |bench| {
            bench.iter(|| {
                let pred = model.forward(&params, &x, BATCH, &mut ws).unwrap();
                let loss = nmse(pred, &target, BATCH, Some(&mut y_bar)).unwrap();
                model
                    .backward_replace(&params, &mut ws, &y_bar, None, &mut grad)
                    .unwrap();
                opt.update(&mut params, &grad, &mut state).unwrap();
                black_box(loss)
            });
        });
    }
    g.finish();
}

criterion_group!(benches, gemm, train_step, forward_backward);
criterion_main!(benches);
