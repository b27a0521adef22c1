//! Nothing allocates inside a training step once the workspace exists.

use prdp_nn::{Architecture, LrSchedule, MlpConfig, Model, Optimizer, ResNetConfig, nmse};
use prdp_testing::{CountingAllocator, allocations_on_this_thread};

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Small models run on the calling thread, so every allocation of a step would be counted.
#[test]
fn training_steps_do_not_allocate() {
    for arch in [
        Architecture::Mlp(MlpConfig::default()),
        Architecture::ResNet(ResNetConfig {
            grid: vec![6, 5],
            in_channels: 2,
            out_channels: 2,
            hidden_channels: 4,
            blocks: 2,
            ..Default::default()
        }),
    ] {
        let model = Model::<f32>::new(arch).unwrap();
        let batch = 5;
        let mut params = model.init(0);
        let x: Vec<f32> = (0..batch * model.input_size())
            .map(|i| (i as f32).sin())
            .collect();
        let target: Vec<f32> = (0..batch * model.output_size())
            .map(|i| (i as f32).cos())
            .collect();
        let mut ws = model.workspace(batch).unwrap();
        assert_eq!(ws.chunks(), 1);
        let (mut y_bar, mut y_dot) = (vec![0.0; target.len()], vec![0.0; target.len()]);
        let (mut grad, mut x_bar) = (vec![0.0; params.len()], vec![0.0; x.len()]);
        let opt = Optimizer::adam(LrSchedule::default());
        let mut state = opt.init(params.len());
        let mut step = |params: &mut Vec<f32>| {
            let pred = model.forward(params, &x, batch, &mut ws).unwrap();
            nmse(pred, &target, batch, Some(&mut y_bar)).unwrap();
            model
                .backward(params, &mut ws, &y_bar, Some(&mut x_bar), &mut grad)
                .unwrap();
            model
                .jvp(params, &mut ws, &grad, Some(&x), &mut y_dot)
                .unwrap();
            opt.update(params, &grad, &mut state).unwrap();
        };
        step(&mut params);
        assert_eq!(allocations_on_this_thread(|| step(&mut params)), 0);
    }
}
