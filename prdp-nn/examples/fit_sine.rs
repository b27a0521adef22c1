//! Fits an MLP to y = sin(2πx) on [0, 1] with Adam and an exponentially decaying learning
//! rate, printing the loss curve.
//!
//! Run with `cargo run --release -p prdp-nn --example fit_sine`.

use prdp_nn::{Activation, Architecture, LrSchedule, MlpConfig, Model, Optimizer, mse};

fn main() -> Result<(), prdp_nn::NnError> {
    let model = Model::<f32>::new(Architecture::Mlp(MlpConfig {
        in_features: 1,
        out_features: 1,
        width: 32,
        depth: 2,
        activation: Activation::Tanh,
        ..Default::default()
    }))?;
    let mut params = model.init(0);

    let batch = 64;
    let x: Vec<f32> = (0..batch).map(|i| i as f32 / (batch - 1) as f32).collect();
    let y: Vec<f32> = x
        .iter()
        .map(|v| (2.0 * std::f32::consts::PI * v).sin())
        .collect();

    let opt = Optimizer::adam(LrSchedule::ExponentialDecay {
        init_value: 1e-2,
        transition_steps: 500,
        decay_rate: 0.5,
        transition_begin: 0,
        staircase: false,
        end_value: None,
    });
    opt.validate()?;
    let mut state = opt.init(params.len());
    let mut ws = model.workspace(batch)?;
    let mut y_bar = vec![0.0; batch];
    let mut grad = vec![0.0; params.len()];

    println!("{:>6}  {:>12}  {:>10}", "step", "mse", "lr");
    for step in 0..=3000 {
        let pred = model.forward(&params, &x, batch, &mut ws)?;
        let loss = mse(pred, &y, Some(&mut y_bar))?;
        if step % 250 == 0 {
            println!(
                "{step:>6}  {loss:>12.4e}  {:>10.2e}",
                opt.learning_rate().value(state.step)
            );
        }
        model.backward_replace(&params, &mut ws, &y_bar, None, &mut grad)?;
        opt.update(&mut params, &grad, &mut state)?;
    }
    Ok(())
}
