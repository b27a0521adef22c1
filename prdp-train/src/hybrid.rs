//! Scenario 3: the neural-hybrid corrector (PRDP paper, section 4.4 and appendix F.4).
//!
//! ```text
//! u⁰ ─P_K─▶ s¹ ─(+NN)─▶ c¹ ─P_K─▶ s² ─(+NN)─▶ c²        loss = MSE(c¹, u¹) + MSE(c², u²)
//! ```
//! A coarse Navier–Stokes step followed by a network correction, unrolled for two steps and
//! trained by backpropagation through time; both solver calls run at the K the refiner sets.
//! Validation rolls the corrected solver out with converged coarse physics and reports eq. 56
//! on the x-velocity at step t.

use std::time::Instant;

use prdp_core::{Real, kernels};
use prdp_nn::{Workspace, mse};
use prdp_pde::{Assembly, Dataset, Physics};

use crate::data_parallel::{BlockGradient, Parallel};
use crate::metrics::{rollout_validation, squared_ratio};
use crate::network_scenario::NetworkScenario;
use crate::trainable::Trainable;
use crate::{Ledger, Phase, TrainError, Validation};

/// The state of a neural-hybrid corrector training.
pub(crate) struct Hybrid<T: Real, A: Assembly<T>> {
    net: Trainable<T>,
    ws: [Workspace<T>; 2],
    val_ws: Workspace<T>,
    physics: Physics<T, A>,
    converged: Physics<T, A>,
    data: Dataset<T>,
    validation_step: usize,
    metric_channel: usize,
    batch: usize,
    par: Parallel<T>,
    buf: Buffers<T>,
}

#[derive(Default)]
struct Buffers<T> {
    u0: Vec<T>,
    u1: Vec<T>,
    u2: Vec<T>,
    s1: Vec<T>,
    c1: Vec<T>,
    s2: Vec<T>,
    c2: Vec<T>,
    c1_bar: Vec<T>,
    c2_bar: Vec<T>,
    s2_bar: Vec<T>,
    val_state: Vec<T>,
    val_solved: Vec<T>,
    val_ref: Vec<T>,
}

/// Everything a [`Hybrid`] is built from.
pub(crate) struct HybridParts<T: Real, A: Assembly<T>> {
    pub net: Trainable<T>,
    pub physics: Physics<T, A>,
    pub converged: Physics<T, A>,
    pub data: Dataset<T>,
    pub validation_step: usize,
    pub metric_channel: usize,
    pub batch: usize,
    pub parallel: Parallel<T>,
}

impl<T: Real, A: Assembly<T>> Hybrid<T, A> {
    /// Checks shapes and allocates every buffer once.
    pub(crate) fn new(p: HybridParts<T, A>) -> Result<Self, TrainError> {
        let n = p.physics.assembly().state_len();
        p.net.check_shapes(n, &p.data, 3, p.validation_step + 1)?;
        let channels = p.physics.assembly().state_shape()[0];
        if p.metric_channel >= channels || p.validation_step == 0 {
            return Err(TrainError::config(
                "metric_channel/validation_step",
                format!("{} / {}", p.metric_channel, p.validation_step),
                &format!("a channel below {channels} and a step of at least 1"),
            ));
        }
        let (b, v) = (p.batch, p.data.validation.samples());
        let z = |m: usize| vec![T::zero(); m * n];
        let buf = Buffers {
            u0: z(b),
            u1: z(b),
            u2: z(b),
            s1: z(b),
            c1: z(b),
            s2: z(b),
            c2: z(b),
            c1_bar: z(b),
            c2_bar: z(b),
            s2_bar: z(b),
            val_state: z(v),
            val_solved: z(v),
            val_ref: z(v),
        };
        Ok(Self {
            ws: [
                p.net.model.workspace(p.parallel.block_capacity(b))?,
                p.net.model.workspace(p.parallel.block_capacity(b))?,
            ],
            val_ws: p.net.model.workspace(p.parallel.block_capacity(v))?,
            net: p.net,
            physics: p.physics,
            converged: p.converged,
            data: p.data,
            validation_step: p.validation_step,
            metric_channel: p.metric_channel,
            batch: b,
            par: p.parallel,
            buf,
        })
    }
}

impl<T: Real, A: Assembly<T>> NetworkScenario for Hybrid<T, A> {
    type Real = T;

    fn net(&self) -> &Trainable<T> {
        &self.net
    }

    fn net_mut(&mut self) -> &mut Trainable<T> {
        &mut self.net
    }

    fn data(&self) -> &Dataset<T> {
        &self.data
    }

    fn batch_size(&self) -> usize {
        self.batch
    }

    fn set_max_iters(&mut self, k: usize) {
        self.physics.set_max_iters(k);
    }

    fn validate(&mut self) -> Result<Validation, TrainError> {
        self.validate_rollout()
    }
}

impl<T: Real, A: Assembly<T>> BlockGradient<T> for Hybrid<T, A> {
    fn gradient_parts(&mut self) -> (&mut Vec<T>, &mut Parallel<T>) {
        (&mut self.net.grad, &mut self.par)
    }

    fn block_loss_and_gradient(
        &mut self,
        samples: &[usize],
        scale: f64,
        grad: &mut [T],
        ledger: &mut Ledger,
    ) -> Result<f64, TrainError> {
        let b = samples.len();
        let m = b * self.physics.assembly().state_len();
        let buf = &mut self.buf;
        let [ws0, ws1] = &mut self.ws;
        let (u0, u1, u2) = (&mut buf.u0[..m], &mut buf.u1[..m], &mut buf.u2[..m]);
        let (s1, c1, s2, c2) = (
            &mut buf.s1[..m],
            &mut buf.c1[..m],
            &mut buf.s2[..m],
            &mut buf.c2[..m],
        );
        let (c1_bar, c2_bar, s2_bar) = (
            &mut buf.c1_bar[..m],
            &mut buf.c2_bar[..m],
            &mut buf.s2_bar[..m],
        );
        self.data.train.gather(0, samples, u0)?;
        self.data.train.gather(1, samples, u1)?;
        self.data.train.gather(2, samples, u2)?;

        // Forward: two corrected steps.
        let t = Instant::now();
        ledger.add_solver(&self.physics.forward_batch_at(0, u0, s1, b)?);
        ledger.add_time(Phase::PhysicsForward, t.elapsed());
        let t = Instant::now();
        let net = &mut self.net;
        let n1 = net.model.forward(&net.params, s1, b, ws0)?;
        c1.copy_from_slice(s1);
        kernels::axpy(T::one(), n1, c1);
        ledger.add_time(Phase::Network, t.elapsed());
        let t = Instant::now();
        ledger.add_solver(&self.physics.forward_batch_at(1, c1, s2, b)?);
        ledger.add_time(Phase::PhysicsForward, t.elapsed());
        let t = Instant::now();
        let n2 = net.model.forward(&net.params, s2, b, ws1)?;
        c2.copy_from_slice(s2);
        kernels::axpy(T::one(), n2, c2);
        ledger.add_time(Phase::Network, t.elapsed());

        let loss = mse(c2, u2, Some(&mut *c2_bar))? + mse(c1, u1, Some(&mut *c1_bar))?;
        if scale != 1.0 {
            let s = T::of(scale);
            c1_bar
                .iter_mut()
                .chain(c2_bar.iter_mut())
                .for_each(|x| *x *= s);
        }

        // Backward through time: c² = s² + NN(s²), s² = P_K(c¹), c¹ = s¹ + NN(s¹); u⁰ is data,
        // so the first solver call needs no VJP.
        let t = Instant::now();
        net.model
            .backward_replace(&net.params, ws1, c2_bar, Some(&mut *s2_bar), grad)?;
        kernels::axpy(T::one(), c2_bar, s2_bar);
        ledger.add_time(Phase::Network, t.elapsed());
        let t = Instant::now();
        let c1_from_physics = c2_bar;
        ledger.add_solver(&self.physics.vjp_batch_at(1, s2_bar, c1_from_physics)?);
        kernels::axpy(T::one(), c1_from_physics, c1_bar);
        ledger.add_time(Phase::PhysicsBackward, t.elapsed());
        let t = Instant::now();
        net.model.backward(&net.params, ws0, c1_bar, None, grad)?;
        ledger.add_time(Phase::Network, t.elapsed());
        Ok(loss.as_f64() * scale)
    }
}

impl<T: Real, A: Assembly<T>> Hybrid<T, A> {
    /// Rolls the corrected solver out with converged physics and measures eq. 56.
    fn validate_rollout(&mut self) -> Result<Validation, TrainError> {
        let val = &self.data.validation;
        let (v, n, steps) = (val.samples(), val.state_len(), val.times() - 1);
        let channel_len = n / self.physics.assembly().state_shape()[0];
        let channel = self.metric_channel * channel_len..(self.metric_channel + 1) * channel_len;
        let (net, ws, buf, converged) = (
            &self.net,
            &mut self.val_ws,
            &mut self.buf,
            &mut self.converged,
        );
        let ratios = self.par.per_sample(v, steps, |samples, out| {
            let count = samples.len();
            let indices: Vec<usize> = samples.collect();
            let m = count * n;
            let (state, solved, reference) = (
                &mut buf.val_state[..m],
                &mut buf.val_solved[..m],
                &mut buf.val_ref[..m],
            );
            val.gather(0, &indices, state)?;
            for t in 1..=steps {
                converged.forward_batch(state, solved, count)?;
                let correction = net.model.forward(&net.params, solved, count, ws)?;
                state.copy_from_slice(solved);
                kernels::axpy(T::one(), correction, state);
                val.gather(t, &indices, reference)?;
                for s in 0..count {
                    let sample = s * n..(s + 1) * n;
                    out[s * steps + t - 1] =
                        squared_ratio(&state[sample.clone()], &reference[sample], channel.clone());
                }
            }
            Ok(())
        })?;
        Ok(rollout_validation(&ratios, steps, self.validation_step))
    }
}

#[cfg(test)]
mod tests {
    use prdp_nn::{
        Activation, Architecture, Init, LrSchedule, Model, Optimizer, Padding, ResNetConfig,
    };
    use prdp_pde::{DataSpec, NavierStokes, NavierStokesConfig, Physics, navier_stokes_dataset};
    use prdp_solvers::{Budget, DiffMode, DiffSolver, Method};

    use super::*;

    fn ns(n: usize) -> NavierStokesConfig {
        NavierStokesConfig {
            n,
            nu: 1e-2,
            ..NavierStokesConfig::paper_coarse()
        }
    }

    /// A tiny hybrid corrector in f64: 6×6 coarse grid (data from 12×12), a one-block tanh
    /// ResNet, and GMRES converged to 1e-13 so that the implicit gradient is the exact one.
    fn tiny() -> Hybrid<f64, NavierStokes<f64>> {
        let spec = DataSpec {
            seed: 5,
            train: 3,
            validation: 2,
            train_steps: 2,
            validation_steps: 2,
        };
        let data = navier_stokes_dataset::<f64>(&ns(12), &spec, 3e-3)
            .unwrap()
            .coarse;
        let model = Model::new(Architecture::ResNet(ResNetConfig {
            grid: vec![6, 6],
            in_channels: 3,
            out_channels: 3,
            hidden_channels: 2,
            blocks: 1,
            padding: Padding::Circular,
            activation: Activation::Tanh,
            init: Init::Uniform,
            ..ResNetConfig::default()
        }))
        .unwrap();
        let params = model.init(2);
        let net = Trainable::new(
            model,
            params,
            Optimizer::adam(LrSchedule::Constant { value: 1e-3 }),
        )
        .unwrap();
        let solver = DiffSolver::new(
            Method::Gmres { restart: 20 },
            Budget::new(400, 1e-13).unwrap(),
            DiffMode::default(),
        )
        .unwrap();
        let physics = Physics::new(NavierStokes::new(ns(6)).unwrap(), solver).unwrap();
        let converged = Physics::new(NavierStokes::new(ns(6)).unwrap(), solver).unwrap();
        Hybrid::new(HybridParts {
            net,
            physics,
            converged,
            data,
            validation_step: 2,
            metric_channel: 0,
            batch: 2,
            parallel: Parallel::default(),
        })
        .unwrap()
    }

    /// Backpropagation through time of the two corrected steps (network input gradients,
    /// the Navier–Stokes VJP including its wind-dependent matrix, and the accumulation of both
    /// network calls' parameter gradients) equals central differences of the loss.
    #[test]
    fn bptt_gradient_matches_finite_differences() {
        let mut hy = tiny();
        let batch = [2, 0];
        let mut ledger = Ledger::default();
        hy.loss_and_gradient(&batch, 400, &mut ledger).unwrap();
        let grad = hy.net.grad.clone();
        let h = 1e-6;
        for i in (0..grad.len()).step_by(4) {
            let p0 = hy.net.params[i];
            hy.net.params[i] = p0 + h;
            let lp = hy.loss_and_gradient(&batch, 400, &mut ledger).unwrap();
            hy.net.params[i] = p0 - h;
            let lm = hy.loss_and_gradient(&batch, 400, &mut ledger).unwrap();
            hy.net.params[i] = p0;
            let fd = (lp - lm) / (2.0 * h);
            assert!(
                (fd - grad[i]).abs() <= 1e-6 * (1.0 + fd.abs()),
                "param {i}: AD {} vs FD {fd}",
                grad[i]
            );
        }
    }
}
