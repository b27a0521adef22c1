//! One experiment's training step, taken on its own and timed phase by phase: what the
//! full-step benches measure and what a profiler should look at.

use std::path::Path;

use crate::trainer::Scenario;
use crate::{Experiment, Ledger, TrainError};

/// The emulator or hybrid scenario of an [`Experiment`], built exactly as a run builds it,
/// stepping on one fixed minibatch (the first `batch_size` training samples). Each step
/// updates the parameters as in training and adds its wall time per phase (network, physics
/// forward, physics backward, optimiser) and its solver work to [`StepProbe::ledger`].
///
/// # Example
/// ```
/// let toml = r#"
/// name = "probe"
/// [schedule]
/// kind = "fixed"
/// k = 10
/// [scenario.emulator]
/// epochs = 1
/// batch_size = 4
/// [scenario.emulator.data]
/// train = 8
/// validation = 2
/// "#;
/// let e: prdp_train::Experiment = toml::from_str(toml)?;
/// let mut probe = e.step_probe(None)?;
/// let loss = probe.step(10)?;
/// assert!(loss.is_finite());
/// assert_eq!(probe.ledger().update_steps, 1);
/// assert!(probe.ledger().wall.physics_forward > 0.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct StepProbe {
    scenario: Box<dyn Scenario>,
    batch: Vec<usize>,
    ledger: Ledger,
}

impl std::fmt::Debug for StepProbe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StepProbe")
            .field("params", &self.scenario.num_params())
            .field("batch", &self.batch.len())
            .field("ledger", &self.ledger)
            .finish()
    }
}

impl Experiment {
    /// A [`StepProbe`] of this experiment (data generated, or loaded from `data_cache`).
    ///
    /// # Errors
    /// [`TrainError::Config`] for the inverse problem, whose step is not a network's; the
    /// errors of building a run (network, data, solver).
    pub fn step_probe(&self, data_cache: Option<&Path>) -> Result<StepProbe, TrainError> {
        let k0 = crate::Refiner::new(self.schedule.clone())?.k();
        let scenario = self.scenario(k0, data_cache, &crate::Ranks::default())?;
        let b = scenario.batch_size();
        if b == 0 || b > scenario.train_len() {
            return Err(TrainError::config(
                "batch_size",
                b,
                &format!(
                    "between 1 and the {} training samples",
                    scenario.train_len()
                ),
            ));
        }
        Ok(StepProbe {
            batch: (0..b).collect(),
            scenario,
            ledger: Ledger::default(),
        })
    }
}

impl StepProbe {
    /// One update step with `k` solver iterations; returns the minibatch loss.
    ///
    /// # Errors
    /// Solver and network errors of the step (a non-finite loss is returned as it is, not
    /// raised as [`TrainError::Diverged`]).
    pub fn step(&mut self, k: usize) -> Result<f64, TrainError> {
        self.ledger.add_step(k);
        self.scenario.step(&self.batch, k, &mut self.ledger)
    }

    /// Work and wall time per phase of the steps since creation or the last
    /// [`StepProbe::reset`].
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Clears the ledger (parameters keep their values).
    pub fn reset(&mut self) {
        self.ledger = Ledger::default();
    }

    /// Number of trainable parameters.
    pub fn num_params(&self) -> usize {
        self.scenario.num_params()
    }

    /// Samples per step.
    pub fn batch_size(&self) -> usize {
        self.batch.len()
    }
}
