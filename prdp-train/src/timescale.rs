//! Shortened runs: keeping the time scales of the run a configuration was written for.
//!
//! A run cut to fit a smaller machine (fewer epochs or fewer training samples, so fewer update
//! steps) must not keep the step counts of its settings: a learning rate written to decay over
//! 800 update steps never anneals in a run of 160, and a controller that decides once per epoch
//! sees a fifth of the decisions when the epochs are cut five-fold. [`rescale_time`] is the one
//! place where a run's length changes those settings: it stretches the learning-rate schedule
//! by the ratio of update steps and sets the PRDP controller's interval so that it decides as
//! often, per fraction of the run, as at the reference length.

use serde::{Deserialize, Serialize};

use crate::{Interval, PrdpConfig, ScenarioConfig, TrainError};

/// How a run's length relates to the length its settings were written for.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TimeScale {
    /// Update steps of the run the settings were written for (the paper's or its code's).
    pub reference_steps: u64,
    /// Update steps of this run.
    pub steps: u64,
    /// Update steps between controller decisions at the reference length.
    pub reference_interval: u64,
    /// Update steps between controller decisions in this run.
    pub interval: u64,
}

impl TimeScale {
    /// This run's update steps over the reference's.
    pub fn factor(&self) -> f64 {
        self.steps as f64 / self.reference_steps as f64
    }

    /// Whether anything was rescaled (the run is not of the reference length).
    pub fn is_rescaled(&self) -> bool {
        self.steps != self.reference_steps
    }

    /// Controller decisions over the whole run (the reference makes
    /// `reference_steps / reference_interval`).
    pub fn decisions(&self) -> u64 {
        self.steps / self.interval
    }

    /// One sentence for tables: the factor, the rescaled decay and the decision interval.
    pub fn describe(&self) -> String {
        if !self.is_rescaled() {
            return format!("{} update steps, as the reference", self.steps);
        }
        format!(
            "{} update steps instead of {} (×{:.3}): learning-rate schedule steps ×{:.3}; PRDP decides every {} steps instead of {} ({} decisions instead of {})",
            self.steps,
            self.reference_steps,
            self.factor(),
            self.factor(),
            self.interval,
            self.reference_interval,
            self.decisions(),
            self.reference_steps / self.reference_interval,
        )
    }
}

/// Rescales what depends on the run's length in `scenario` and `prdp`, whose settings are those
/// of `reference` apart from the length (epochs, training samples or update steps): the
/// learning-rate schedule's step counts are multiplied by the ratio f of update steps
/// ([`prdp_nn::LrSchedule::time_scaled`]), and the controller's interval becomes
/// round(f × the reference interval) update steps (at least 1), expressed in epochs when it is a
/// whole number of them. A run of the reference length is left unchanged.
///
/// # Example
/// ```
/// use prdp_train::{Interval, ScenarioConfig, presets, rescale_time};
/// let paper = ScenarioConfig::Hybrid(presets::navier_stokes_hybrid()); // 100 epochs of 8 steps
/// let mut short = paper.clone();
/// if let ScenarioConfig::Hybrid(c) = &mut short {
///     c.epochs = 20;
/// }
/// let mut prdp = presets::navier_stokes_prdp();
/// let scale = rescale_time(&paper, &mut short, &mut prdp)?;
/// assert_eq!((scale.steps, scale.reference_steps), (160, 800));
/// // The cosine decay of 800 steps now spans the 160, and PRDP decides every 2 steps
/// // (round(0.2 × 8)): 80 decisions where the paper makes 100.
/// assert_eq!(prdp.interval, Interval::Steps(2));
/// assert_eq!(scale.decisions(), 80);
/// # Ok::<(), prdp_train::TrainError>(())
/// ```
///
/// # Errors
/// [`TrainError::Config`] if either configuration has no update steps.
pub fn rescale_time(
    reference: &ScenarioConfig,
    scenario: &mut ScenarioConfig,
    prdp: &mut PrdpConfig,
) -> Result<TimeScale, TrainError> {
    let reference_steps = reference.update_steps();
    let steps = scenario.update_steps();
    for (key, v) in [("reference", reference_steps), ("run", steps)] {
        if v == 0 {
            return Err(TrainError::config(
                &format!("{key} update steps"),
                0,
                "at least one update step (epochs × (training samples / batch size))",
            ));
        }
    }
    let per_epoch = |c: &ScenarioConfig| c.steps_per_epoch() as u64;
    let reference_interval = match prdp.interval {
        Interval::Epochs(n) => n as u64 * per_epoch(reference),
        Interval::Steps(n) => n as u64,
    };
    let mut scale = TimeScale {
        reference_steps,
        steps,
        reference_interval,
        interval: reference_interval,
    };
    if !scale.is_rescaled() {
        return Ok(scale);
    }
    let factor = scale.factor();
    if let Some(optimizer) = scenario.optimizer_mut() {
        *optimizer = optimizer.time_scaled(factor);
    }
    scale.interval = ((reference_interval as f64 * factor).round() as u64).max(1);
    let run_epoch = per_epoch(scenario);
    prdp.interval = if scale.interval.is_multiple_of(run_epoch) {
        Interval::Epochs((scale.interval / run_epoch) as usize)
    } else {
        Interval::Steps(scale.interval as usize)
    };
    Ok(scale)
}
