//! Scenario 2: the mixed-chain autoregressive emulator (PRDP paper, sections 2.3, 4.2, 4.3;
//! appendix F.2–F.3).
//!
//! ```text
//! u⁰ ──network──▶ u¹ ──P_K──▶ u² ──loss vs u²_ref
//! ```
//! The network learns one step of the physics; the loss is taken after one further step of the
//! iterative physics P_K, through which the gradient flows (implicitly or unrolled). Validation
//! rolls the network out alone (as the reference code does) and reports eq. 56 at step t.

use std::time::Instant;

use prdp_core::Real;
use prdp_nn::{Loss, Workspace};
use prdp_pde::{Assembly, Dataset, Physics};

use crate::data_parallel::{BlockGradient, Parallel};
use crate::metrics::{rollout_validation, squared_ratio};
use crate::network_scenario::NetworkScenario;
use crate::trainable::Trainable;
use crate::{Ledger, Phase, TrainError, Validation};

/// The state of a mixed-chain emulator training.
pub(crate) struct Emulator<T: Real, A: Assembly<T>> {
    net: Trainable<T>,
    ws: Workspace<T>,
    val_ws: Workspace<T>,
    physics: Physics<T, A>,
    data: Dataset<T>,
    loss: Loss,
    validation_step: usize,
    batch: usize,
    par: Parallel<T>,
    buf: Buffers<T>,
}

#[derive(Default)]
struct Buffers<T> {
    u0: Vec<T>,
    u1: Vec<T>,
    u2: Vec<T>,
    target: Vec<T>,
    u2_bar: Vec<T>,
    u1_bar: Vec<T>,
    val_state: Vec<T>,
    val_ref: Vec<T>,
}

/// Everything an [`Emulator`] is built from.
pub(crate) struct EmulatorParts<T: Real, A: Assembly<T>> {
    pub net: Trainable<T>,
    pub physics: Physics<T, A>,
    pub data: Dataset<T>,
    pub loss: Loss,
    pub validation_step: usize,
    pub batch: usize,
    pub parallel: Parallel<T>,
}

impl<T: Real, A: Assembly<T>> Emulator<T, A> {
    /// Checks shapes and allocates every buffer once.
    pub(crate) fn new(p: EmulatorParts<T, A>) -> Result<Self, TrainError> {
        let n = p.physics.assembly().state_len();
        if p.validation_step == 0 {
            return Err(TrainError::config("validation_step", 0, "at least 1"));
        }
        p.net.check_shapes(n, &p.data, 3, p.validation_step + 1)?;
        let v = p.data.validation.samples();
        let b = p.batch;
        let buf = Buffers {
            u0: vec![T::zero(); b * n],
            u1: vec![T::zero(); b * n],
            u2: vec![T::zero(); b * n],
            target: vec![T::zero(); b * n],
            u2_bar: vec![T::zero(); b * n],
            u1_bar: vec![T::zero(); b * n],
            val_state: vec![T::zero(); v * n],
            val_ref: vec![T::zero(); v * n],
        };
        Ok(Self {
            ws: p.net.model.workspace(p.parallel.block_capacity(b))?,
            val_ws: p.net.model.workspace(p.parallel.block_capacity(v))?,
            net: p.net,
            physics: p.physics,
            data: p.data,
            loss: p.loss,
            validation_step: p.validation_step,
            batch: b,
            par: p.parallel,
            buf,
        })
    }
}

impl<T: Real, A: Assembly<T>> BlockGradient<T> for Emulator<T, A> {
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
        let (u0, u1, u2) = (&mut buf.u0[..m], &mut buf.u1[..m], &mut buf.u2[..m]);
        let (target, u2_bar, u1_bar) = (
            &mut buf.target[..m],
            &mut buf.u2_bar[..m],
            &mut buf.u1_bar[..m],
        );
        self.data.train.gather(0, samples, u0)?;
        self.data.train.gather(2, samples, target)?;

        let t = Instant::now();
        let out = self
            .net
            .model
            .forward(&self.net.params, u0, b, &mut self.ws)?;
        u1.copy_from_slice(out);
        ledger.add_time(Phase::Network, t.elapsed());

        let t = Instant::now();
        ledger.add_solver(&self.physics.forward_batch(u1, u2, b)?);
        ledger.add_time(Phase::PhysicsForward, t.elapsed());

        let loss = self.loss.eval(u2, target, b, Some(&mut *u2_bar))?;
        if scale != 1.0 {
            let s = T::of(scale);
            u2_bar.iter_mut().for_each(|x| *x *= s);
        }

        let t = Instant::now();
        ledger.add_solver(&self.physics.vjp_batch(u2_bar, u1_bar)?);
        ledger.add_time(Phase::PhysicsBackward, t.elapsed());

        let t = Instant::now();
        let net = &mut self.net;
        net.model
            .backward_replace(&net.params, &mut self.ws, u1_bar, None, grad)?;
        ledger.add_time(Phase::Network, t.elapsed());
        Ok(loss.as_f64() * scale)
    }
}

impl<T: Real, A: Assembly<T>> NetworkScenario for Emulator<T, A> {
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
        let val = &self.data.validation;
        let (v, n, steps) = (val.samples(), val.state_len(), val.times() - 1);
        let (net, ws, buf) = (&self.net, &mut self.val_ws, &mut self.buf);
        let ratios = self.par.per_sample(v, steps, |samples, out| {
            let count = samples.len();
            let indices: Vec<usize> = samples.collect();
            let (state, reference) = (
                &mut buf.val_state[..count * n],
                &mut buf.val_ref[..count * n],
            );
            val.gather(0, &indices, state)?;
            for t in 1..=steps {
                let pred = net.model.forward(&net.params, state, count, ws)?;
                state.copy_from_slice(pred);
                val.gather(t, &indices, reference)?;
                for s in 0..count {
                    let sample = s * n..(s + 1) * n;
                    out[s * steps + t - 1] =
                        squared_ratio(&state[sample.clone()], &reference[sample], 0..n);
                }
            }
            Ok(())
        })?;
        Ok(rollout_validation(&ratios, steps, self.validation_step))
    }
}

#[cfg(test)]
mod tests {
    use prdp_core::Boundary;
    use prdp_nn::{Activation, Architecture, LrSchedule, MlpConfig, Model, Optimizer};
    use prdp_pde::{DataSpec, FourierSeries, Heat, HeatConfig, Physics, heat_dataset};
    use prdp_solvers::{Budget, DiffMode, DiffSolver, Method};

    use super::*;

    /// A tiny heat emulator in f64 with a smooth (tanh) network, so that central differences
    /// are accurate.
    fn tiny(mode: DiffMode, k: usize) -> Emulator<f64, Heat<f64>> {
        let heat = HeatConfig {
            dims: vec![6],
            boundary: Boundary::Dirichlet,
            nu: 0.01,
            dt: 1.0,
            length: 1.0,
        };
        let spec = DataSpec {
            seed: 3,
            train: 4,
            validation: 2,
            train_steps: 2,
            validation_steps: 2,
        };
        let data = heat_dataset::<f64>(
            &heat,
            &spec,
            &FourierSeries {
                modes: 2,
                ..FourierSeries::default()
            },
        )
        .unwrap();
        let model = Model::new(Architecture::Mlp(MlpConfig {
            in_features: 6,
            out_features: 6,
            width: 5,
            depth: 2,
            activation: Activation::Tanh,
            ..MlpConfig::default()
        }))
        .unwrap();
        let params = model.init(1);
        let net = Trainable::new(
            model,
            params,
            Optimizer::adam(LrSchedule::Constant { value: 1e-3 }),
        )
        .unwrap();
        let physics = Physics::new(
            Heat::new(heat).unwrap(),
            DiffSolver::new(Method::Jacobi, Budget::fixed(k), mode).unwrap(),
        )
        .unwrap();
        Emulator::new(EmulatorParts {
            net,
            physics,
            data,
            loss: Loss::Nmse,
            validation_step: 2,
            batch: 3,
            parallel: Parallel::default(),
        })
        .unwrap()
    }

    /// The gradient of a whole training step (network, then K Jacobi iterations, then the nMSE)
    /// equals central differences of the loss, for implicit and unrolled differentiation (equal
    /// here: the K-step Jacobi map of a symmetric matrix with constant diagonal is symmetric).
    #[test]
    fn training_step_gradient_matches_finite_differences() {
        let batch = [0, 2, 3];
        for mode in [
            DiffMode::Unrolled,
            DiffMode::Implicit {
                adjoint_budget: None,
            },
        ] {
            let mut em = tiny(mode, 4);
            let mut ledger = Ledger::default();
            em.loss_and_gradient(&batch, 4, &mut ledger).unwrap();
            let grad = em.net.grad.clone();
            assert!(grad.iter().any(|g| g.abs() > 1e-6));
            let h = 1e-6;
            for i in (0..grad.len()).step_by(3) {
                let p0 = em.net.params[i];
                em.net.params[i] = p0 + h;
                let lp = em.loss_and_gradient(&batch, 4, &mut ledger).unwrap();
                em.net.params[i] = p0 - h;
                let lm = em.loss_and_gradient(&batch, 4, &mut ledger).unwrap();
                em.net.params[i] = p0;
                let fd = (lp - lm) / (2.0 * h);
                assert!(
                    (fd - grad[i]).abs() <= 1e-7 * (1.0 + fd.abs()),
                    "{mode:?} param {i}: AD {} vs FD {fd}",
                    grad[i]
                );
            }
        }
    }
}
