//! What the emulator and the hybrid corrector share as scenarios: a network trained through
//! the physics with K solver iterations per step. [`Scenario`] is implemented once for both.

use std::path::Path;

use prdp_core::Real;
use prdp_pde::Dataset;

use crate::data_parallel::{BlockGradient, minibatch_gradient};
use crate::trainable::Trainable;
use crate::trainer::Scenario;
use crate::{Ledger, TrainError, Validation};

/// A network trained through the physics: the parts of it the training loop reaches.
pub(crate) trait NetworkScenario {
    /// The floating-point type of the network and the physics.
    type Real: Real;

    /// The network with its optimiser.
    fn net(&self) -> &Trainable<Self::Real>;

    /// The network with its optimiser, mutably.
    fn net_mut(&mut self) -> &mut Trainable<Self::Real>;

    /// The training and validation data.
    fn data(&self) -> &Dataset<Self::Real>;

    /// Minibatch size.
    fn batch_size(&self) -> usize;

    /// Sets the solver iterations K of the physics the network trains through.
    fn set_max_iters(&mut self, k: usize);

    /// Validates the current model (eq. 56 of the scenario's rollout).
    ///
    /// # Errors
    /// Network and solver errors.
    fn validate(&mut self) -> Result<Validation, TrainError>;

    /// The loss of the minibatch `batch` at the current parameters with `k` solver iterations,
    /// leaving its gradient in the network's gradient (on every rank of a data-parallel run).
    ///
    /// # Errors
    /// Network and solver errors.
    fn loss_and_gradient(
        &mut self,
        batch: &[usize],
        k: usize,
        ledger: &mut Ledger,
    ) -> Result<f64, TrainError>
    where
        Self: BlockGradient<Self::Real> + Sized,
    {
        self.set_max_iters(k);
        minibatch_gradient(self, batch, ledger)
    }
}

impl<S> Scenario for S
where
    S: NetworkScenario + BlockGradient<<S as NetworkScenario>::Real>,
{
    fn num_params(&self) -> usize {
        self.net().params.len()
    }

    fn train_len(&self) -> usize {
        self.data().train.samples()
    }

    fn batch_size(&self) -> usize {
        NetworkScenario::batch_size(self)
    }

    fn step(&mut self, batch: &[usize], k: usize, ledger: &mut Ledger) -> Result<f64, TrainError> {
        let loss = self.loss_and_gradient(batch, k, ledger)?;
        self.net_mut().update(ledger)?;
        Ok(loss)
    }

    fn validate(&mut self) -> Result<Validation, TrainError> {
        NetworkScenario::validate(self)
    }

    fn save(&self, path: &Path) -> Result<(), TrainError> {
        self.net().save(path)
    }

    fn load(&mut self, path: &Path) -> Result<(), TrainError> {
        self.net_mut().load(path)
    }
}
