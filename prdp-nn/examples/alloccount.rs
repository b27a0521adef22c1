use prdp_nn::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
struct Counting;
static COUNT: AtomicUsize = AtomicUsize::new(0);
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        COUNT.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) }
    }
}
#[global_allocator]
static A: Counting = Counting;
fn main() {
    for arch in [
        Architecture::Mlp(MlpConfig::default()),
        Architecture::Mlp(MlpConfig {
            in_features: 900,
            out_features: 900,
            width: 3000,
            ..Default::default()
        }),
        Architecture::ResNet(ResNetConfig {
            grid: vec![32, 32],
            in_channels: 3,
            out_channels: 3,
            hidden_channels: 16,
            blocks: 2,
            ..Default::default()
        }),
        Architecture::ResNet(ResNetConfig::default()),
    ] {
        let model = Model::<f32>::new(arch).unwrap();
        let mut params = model.init(0);
        let b = 25;
        let x = vec![0.5f32; b * model.input_size()];
        let t = vec![0.25f32; b * model.output_size()];
        let mut ws = model.workspace(b).unwrap();
        let mut ybar = vec![0.0f32; t.len()];
        let mut g = vec![0.0f32; params.len()];
        let mut xbar = vec![0.0f32; x.len()];
        let opt = Optimizer::adam(Schedule::default());
        let mut st = opt.init(params.len());
        let mut step = |params: &mut Vec<f32>| {
            let c0 = COUNT.load(Ordering::Relaxed);
            let y = model.forward(params, &x, b, &mut ws).unwrap();
            let c1 = COUNT.load(Ordering::Relaxed);
            nmse(y, &t, b, Some(&mut ybar)).unwrap();
            let c2 = COUNT.load(Ordering::Relaxed);
            model
                .backward_replace(params, &mut ws, &ybar, Some(&mut xbar), &mut g)
                .unwrap();
            let c3 = COUNT.load(Ordering::Relaxed);
            opt.update(params, &g, &mut st).unwrap();
            let c4 = COUNT.load(Ordering::Relaxed);
            println!(
                "  fwd {} loss {} bwd {} opt {}",
                c1 - c0,
                c2 - c1,
                c3 - c2,
                c4 - c3
            );
        };
        step(&mut params);
        step(&mut params);
        let before = COUNT.load(Ordering::Relaxed);
        for _ in 0..3 {
            step(&mut params);
        }
        println!(
            "{} chunks {}: allocations in 3 steps: {}",
            model.num_params(),
            ws.chunks(),
            COUNT.load(Ordering::Relaxed) - before
        );
    }
}
