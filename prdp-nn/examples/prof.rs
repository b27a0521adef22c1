use prdp_nn::*;
use std::time::Instant;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let width: usize = args.get(1).map(|s| s.parse().unwrap()).unwrap_or(64);
    let inp: usize = args.get(2).map(|s| s.parse().unwrap()).unwrap_or(30);
    let chunks: usize = args.get(3).map(|s| s.parse().unwrap()).unwrap_or(2);
    let iters: usize = args.get(4).map(|s| s.parse().unwrap()).unwrap_or(20000);
    let model = Model::<f32>::new(Architecture::Mlp(MlpConfig {
        in_features: inp,
        out_features: inp,
        width,
        depth: 3,
        ..Default::default()
    }))
    .unwrap();
    let mut params = model.init(0);
    let b = 25;
    let x: Vec<f32> = (0..b * inp).map(|i| (i as f32 * 0.37).sin()).collect();
    let t: Vec<f32> = (0..b * inp).map(|i| (i as f32 * 0.21).cos()).collect();
    let mut ws = model.workspace_with_chunks(b, chunks).unwrap();
    let mut ybar = vec![0.0f32; b * inp];
    let mut g = vec![0.0f32; model.num_params()];
    let opt = Optimizer::adam(Schedule::Constant { value: 1e-5 });
    let mut st = opt.init(params.len());
    let (mut tf, mut tl, mut tb, mut ta) = (f64::MAX, f64::MAX, f64::MAX, f64::MAX);
    let mut tt = f64::MAX;
    for it in 0..iters {
        let s = Instant::now();
        let y = model.forward(&params, &x, b, &mut ws).unwrap();
        let s1 = Instant::now();
        nmse(y, &t, b, Some(&mut ybar)).unwrap();
        let s2 = Instant::now();
        model
            .backward_replace(&params, &mut ws, &ybar, None, &mut g)
            .unwrap();
        let s3 = Instant::now();
        opt.update(&mut params, &g, &mut st).unwrap();
        let s4 = Instant::now();
        if it >= iters / 5 {
            tf = tf.min((s1 - s).as_secs_f64());
            tl = tl.min((s2 - s1).as_secs_f64());
            tb = tb.min((s3 - s2).as_secs_f64());
            ta = ta.min((s4 - s3).as_secs_f64());
            tt = tt.min((s4 - s).as_secs_f64());
        }
    }
    let n = 1.0;
    println!(
        "chunks {} fwd {:.2}us loss {:.2}us bwd {:.2}us adam {:.2}us total {:.2}us",
        ws.chunks(),
        tf / n * 1e6,
        tl / n * 1e6,
        tb / n * 1e6,
        ta / n * 1e6,
        tt * 1e6
    );
}
