use prdp_nn::*;
use std::time::Instant;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let which: usize = args.get(1).map(|s| s.parse().unwrap()).unwrap_or(2);
    let iters: usize = args.get(2).map(|s| s.parse().unwrap()).unwrap_or(3);
    let arch = match which {
        1 => ResNetConfig {
            grid: vec![256],
            in_channels: 1,
            out_channels: 1,
            hidden_channels: 32,
            blocks: 6,
            ..Default::default()
        },
        2 => ResNetConfig {
            grid: vec![48, 48],
            in_channels: 3,
            out_channels: 3,
            hidden_channels: 64,
            blocks: 3,
            ..Default::default()
        },
        _ => ResNetConfig {
            grid: vec![20, 20, 20],
            in_channels: 1,
            out_channels: 1,
            hidden_channels: 32,
            blocks: 6,
            padding: Padding::Zero,
            ..Default::default()
        },
    };
    let model = Model::<f32>::new(Architecture::ResNet(arch)).unwrap();
    let params = model.init(0);
    let b = 25;
    let x: Vec<f32> = (0..b * model.input_size())
        .map(|i| (i as f32 * 0.37).sin())
        .collect();
    let ybar: Vec<f32> = (0..b * model.output_size())
        .map(|i| (i as f32 * 0.21).cos())
        .collect();
    let mut ws = model.workspace(b).unwrap();
    let mut g = vec![0.0f32; model.num_params()];
    let (mut tf, mut tb) = (f64::MAX, f64::MAX);
    for _ in 0..iters {
        let s = Instant::now();
        model.forward(&params, &x, b, &mut ws).unwrap();
        let s1 = Instant::now();
        model
            .backward_replace(&params, &mut ws, &ybar, None, &mut g)
            .unwrap();
        let s2 = Instant::now();
        tf = tf.min((s1 - s).as_secs_f64());
        tb = tb.min((s2 - s1).as_secs_f64());
    }
    let n = 1.0;
    let ff = model.forward_flops() as f64 * b as f64;
    let bf = model.backward_flops(false) as f64 * b as f64;
    println!(
        "chunks {} fwd {:.2}ms ({:.1} GFLOP/s) bwd {:.2}ms ({:.1} GFLOP/s)",
        ws.chunks(),
        tf / n * 1e3,
        ff / (tf / n) / 1e9,
        tb / n * 1e3,
        bf / (tb / n) / 1e9
    );
}
