//! A network with its optimiser: the trainable part shared by the emulator and the hybrid
//! corrector.

use std::path::Path;
use std::time::Instant;

use prdp_core::Real;
use prdp_nn::{Checkpoint, Model, OptState, Optimizer, OptimizerCheckpoint};
use prdp_pde::Dataset;

use crate::{Ledger, Phase, TrainError};

/// A model, its flat parameters and gradient, and its optimiser with state.
pub(crate) struct Trainable<T: Real> {
    pub model: Model<T>,
    pub params: Vec<T>,
    pub grad: Vec<T>,
    optimizer: Optimizer,
    opt_state: OptState<T>,
}

impl<T: Real> Trainable<T> {
    /// Wraps a model with initial parameters and an optimiser.
    ///
    /// # Errors
    /// [`TrainError::Nn`] for an invalid optimiser or parameters of the wrong length.
    pub fn new(model: Model<T>, params: Vec<T>, optimizer: Optimizer) -> Result<Self, TrainError> {
        optimizer.validate()?;
        if params.len() != model.num_params() {
            return Err(TrainError::config(
                "params",
                format!("{} values", params.len()),
                &format!("{} parameters of the model", model.num_params()),
            ));
        }
        Ok(Self {
            grad: vec![T::zero(); params.len()],
            opt_state: optimizer.init(params.len()),
            model,
            params,
            optimizer,
        })
    }

    /// Checks that the model maps states of `n` values to states of `n` values and that the
    /// data holds at least `train_states` states per training trajectory and
    /// `validation_states` per validation trajectory, each of `n` values.
    pub fn check_shapes(
        &self,
        n: usize,
        data: &Dataset<T>,
        train_states: usize,
        validation_states: usize,
    ) -> Result<(), TrainError> {
        for (what, size) in [
            ("input", self.model.input_size()),
            ("output", self.model.output_size()),
        ] {
            if size != n {
                return Err(TrainError::config(
                    "model",
                    format!("network {what} of {size} values"),
                    &format!("{n} values, the size of the physics state"),
                ));
            }
        }
        for (split, traj, need) in [
            ("train", &data.train, train_states),
            ("validation", &data.validation, validation_states),
        ] {
            if traj.state_len() != n || traj.times() < need {
                return Err(TrainError::config(
                    "data",
                    format!(
                        "{split} trajectories of {} states of {} values",
                        traj.times(),
                        traj.state_len()
                    ),
                    &format!("at least {need} states of {n} values"),
                ));
            }
        }
        Ok(())
    }

    /// Applies one optimiser update with the gradient in `grad`.
    pub fn update(&mut self, ledger: &mut Ledger) -> Result<(), TrainError> {
        let t = Instant::now();
        self.optimizer
            .update(&mut self.params, &self.grad, &mut self.opt_state)?;
        ledger.add_time(Phase::Optimizer, t.elapsed());
        Ok(())
    }

    /// Saves architecture, parameters and optimiser state (one safetensors file).
    pub fn save(&self, path: &Path) -> Result<(), TrainError> {
        let opt = OptimizerCheckpoint {
            config: self.optimizer.clone(),
            state: self.opt_state.clone(),
        };
        Checkpoint::new(&self.model, self.params.clone(), Some(opt))?.save(path)?;
        Ok(())
    }

    /// Restores what [`Trainable::save`] wrote.
    pub fn load(&mut self, path: &Path) -> Result<(), TrainError> {
        let c = Checkpoint::load_for(path, &self.model)?;
        let opt = c
            .optimizer
            .ok_or_else(|| TrainError::format(path, "the checkpoint holds no optimiser state"))?;
        self.params = c.params;
        self.opt_state = opt.state;
        Ok(())
    }
}
