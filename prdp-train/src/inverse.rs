//! Scenario 1: the Poisson inverse problem (PRDP paper, sections 2.2 and 4.1, appendix F.1).
//!
//! Find θ such that the K-iteration solution u_K(θ) of A u = β(θ), β(θ) = −Σᵢ θᵢ sin(2iπx),
//! matches u_ref = A⁻¹β(θ_ref), by plain gradient descent on
//! L(θ) = ‖u_K(θ) − u_ref‖² / (2N) (the reference notebook's normalisation, for which its
//! learning rate 275 is tuned). The metric is the relative parameter error
//! ‖θ − θ_ref‖ / ‖θ_ref‖, observed after every update step.

use std::path::Path;
use std::time::Instant;

use prdp_core::Real;
use prdp_pde::{Assembly, Physics, Poisson, ReferenceStepper};
use serde::{Deserialize, Serialize};

use crate::record::write_atomic;
use crate::trainer::Scenario;
use crate::{Ledger, Phase, TrainError, Validation};

/// Gradient descent on the load parameters θ through the differentiable Poisson solve.
pub(crate) struct InverseProblem<T: Real> {
    physics: Physics<T, Poisson<T>>,
    learning_rate: f64,
    theta: Vec<T>,
    theta_ref: Vec<f64>,
    u_ref: Vec<T>,
    u: Vec<T>,
    u_bar: Vec<T>,
    theta_bar: Vec<T>,
}

#[derive(Serialize, Deserialize)]
struct SavedTheta {
    theta: Vec<f64>,
}

impl<T: Real> InverseProblem<T> {
    /// The problem for `physics`, starting at `theta_init` and aiming at `theta_ref`.
    ///
    /// # Errors
    /// [`TrainError::Config`] if the parameter vectors do not match the number of modes or the
    /// learning rate is not positive; the direct solve's errors.
    pub(crate) fn new(
        physics: Physics<T, Poisson<T>>,
        learning_rate: f64,
        theta_init: &[f64],
        theta_ref: &[f64],
    ) -> Result<Self, TrainError> {
        let p = physics.assembly().input_len();
        for (key, v) in [("theta_init", theta_init), ("theta_ref", theta_ref)] {
            if v.len() != p || v.iter().any(|x| !x.is_finite()) {
                return Err(TrainError::config(
                    key,
                    format!("{v:?}"),
                    &format!("{p} finite values, one per mode"),
                ));
            }
        }
        if !(learning_rate.is_finite() && learning_rate > 0.0) {
            return Err(TrainError::config(
                "learning_rate",
                learning_rate,
                "a positive number",
            ));
        }
        let n = physics.assembly().state_len();
        let reference = ReferenceStepper::new(physics.assembly().clone())?;
        let mut u_ref = vec![T::zero(); n];
        let theta_ref_t: Vec<T> = theta_ref.iter().map(|&v| T::of(v)).collect();
        reference.step(&theta_ref_t, &mut u_ref)?;
        Ok(Self {
            physics,
            learning_rate,
            theta: theta_init.iter().map(|&v| T::of(v)).collect(),
            theta_ref: theta_ref.to_vec(),
            u_ref,
            u: vec![T::zero(); n],
            u_bar: vec![T::zero(); n],
            theta_bar: vec![T::zero(); p],
        })
    }
}

impl<T: Real> Scenario for InverseProblem<T> {
    fn num_params(&self) -> usize {
        self.theta.len()
    }

    fn train_len(&self) -> usize {
        1
    }

    fn batch_size(&self) -> usize {
        1
    }

    fn step(&mut self, _batch: &[usize], k: usize, ledger: &mut Ledger) -> Result<f64, TrainError> {
        self.physics.set_max_iters(k);
        let t = Instant::now();
        ledger.add_solver(&self.physics.forward_batch(&self.theta, &mut self.u, 1)?);
        ledger.add_time(Phase::PhysicsForward, t.elapsed());
        let n = T::of_usize(self.u.len());
        let mut loss = 0.0;
        for ((ub, &u), &r) in self.u_bar.iter_mut().zip(&self.u).zip(&self.u_ref) {
            let e = u - r;
            loss += (e * e).as_f64();
            *ub = e / n;
        }
        let t = Instant::now();
        ledger.add_solver(&self.physics.vjp_batch(&self.u_bar, &mut self.theta_bar)?);
        ledger.add_time(Phase::PhysicsBackward, t.elapsed());
        let lr = T::of(self.learning_rate);
        for (th, &g) in self.theta.iter_mut().zip(&self.theta_bar) {
            *th -= lr * g;
        }
        Ok(loss / (2.0 * self.u.len() as f64))
    }

    fn validate(&mut self) -> Result<Validation, TrainError> {
        let (mut num, mut den) = (0.0, 0.0);
        for (&t, &r) in self.theta.iter().zip(&self.theta_ref) {
            num += (t.as_f64() - r).powi(2);
            den += r * r;
        }
        let metric = (num / den).sqrt();
        Ok(Validation {
            metric,
            nmse_per_step: vec![metric * metric],
            nrmse_per_step: vec![metric],
        })
    }

    fn save(&self, path: &Path) -> Result<(), TrainError> {
        let s = SavedTheta {
            theta: self.theta.iter().map(|v| v.as_f64()).collect(),
        };
        write_atomic(
            path,
            &serde_json::to_vec(&s).map_err(|e| TrainError::format(path, e))?,
        )
    }

    fn load(&mut self, path: &Path) -> Result<(), TrainError> {
        let bytes = std::fs::read(path).map_err(|e| TrainError::io(path, e))?;
        let s: SavedTheta =
            serde_json::from_slice(&bytes).map_err(|e| TrainError::format(path, e))?;
        if s.theta.len() != self.theta.len() {
            return Err(TrainError::format(
                path,
                format!(
                    "{} parameters, expected {}",
                    s.theta.len(),
                    self.theta.len()
                ),
            ));
        }
        self.theta = s.theta.iter().map(|&v| T::of(v)).collect();
        Ok(())
    }
}
