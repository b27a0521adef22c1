//! Learning-rate schedules: plain functions of the step count, as optax defines them.

use serde::{Deserialize, Serialize};

use crate::error::{Result, invalid};

/// A learning-rate schedule, evaluated at the 0-based step count by [`LrSchedule::value`].
///
/// Each variant follows the optax function of the same name, including its edge cases.
///
/// # Example
/// ```
/// use prdp_nn::LrSchedule;
/// let s = LrSchedule::ExponentialDecay {
///     init_value: 1e-3, transition_steps: 100, decay_rate: 0.5,
///     transition_begin: 0, staircase: true, end_value: None,
/// };
/// assert_eq!(s.value(0), 1e-3);
/// assert_eq!(s.value(150), 5e-4);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum LrSchedule {
    /// `optax.constant_schedule(value)`.
    Constant {
        /// The learning rate.
        value: f64,
    },
    /// `optax.exponential_decay`: `init_value · decay_rate^p` with
    /// `p = (step − transition_begin) / transition_steps` (floored if `staircase`), equal to
    /// `init_value` up to `transition_begin`, clipped at `end_value` if given (from below when
    /// decaying, from above when growing). `transition_steps = 0` gives a constant.
    ExponentialDecay {
        /// Value before the decay starts.
        init_value: f64,
        /// Steps per factor of `decay_rate`.
        transition_steps: u64,
        /// Factor per `transition_steps` steps.
        decay_rate: f64,
        /// Step at which the decay starts.
        #[serde(default)]
        transition_begin: u64,
        /// Decay in discrete jumps instead of smoothly.
        #[serde(default)]
        staircase: bool,
        /// Bound of the decayed value.
        #[serde(default)]
        end_value: Option<f64>,
    },
    /// `optax.cosine_decay_schedule`: `init_value · ((1 − α)·(½(1 + cos(π·t/decay_steps)))^exponent + α)`
    /// with `t = min(step, decay_steps)`.
    CosineDecay {
        /// Value at step 0.
        init_value: f64,
        /// Length of the decay (at least 1).
        decay_steps: u64,
        /// Final value as a fraction of `init_value`.
        #[serde(default)]
        alpha: f64,
        /// Power of the cosine factor.
        #[serde(default = "one")]
        exponent: f64,
    },
    /// `optax.linear_schedule`: from `init_value` to `end_value` over `transition_steps` steps
    /// starting at `transition_begin`, constant outside. `transition_steps = 0` gives a constant.
    Linear {
        /// Value up to `transition_begin`.
        init_value: f64,
        /// Value from `transition_begin + transition_steps` on.
        end_value: f64,
        /// Length of the ramp.
        transition_steps: u64,
        /// Step at which the ramp starts.
        #[serde(default)]
        transition_begin: u64,
    },
    /// `optax.warmup_cosine_decay_schedule`: a linear warm-up from `init_value` to `peak_value`
    /// over `warmup_steps`, then a cosine decay to `end_value` reached at step `decay_steps`
    /// (which counts the warm-up).
    WarmupCosineDecay {
        /// Value at step 0.
        init_value: f64,
        /// Value at the end of the warm-up.
        peak_value: f64,
        /// Length of the warm-up.
        warmup_steps: u64,
        /// Total length of warm-up and decay (more than `warmup_steps`).
        decay_steps: u64,
        /// Final value.
        #[serde(default)]
        end_value: f64,
        /// Power of the cosine factor.
        #[serde(default = "one")]
        exponent: f64,
    },
    /// A linear warm-up from `init_value` to `after`'s initial value over `warmup_steps`, then
    /// `after` (restarted at step 0): `optax.join_schedules([linear_schedule(…), after],
    /// [warmup_steps])`.
    Warmup {
        /// Value at step 0.
        init_value: f64,
        /// Length of the warm-up.
        warmup_steps: u64,
        /// The schedule after the warm-up.
        after: Box<LrSchedule>,
    },
}

fn one() -> f64 {
    1.0
}

impl Default for LrSchedule {
    /// A constant 1e-3 (the usual Adam learning rate).
    fn default() -> Self {
        Self::Constant { value: 1e-3 }
    }
}

impl LrSchedule {
    /// The learning rate at 0-based step `step`.
    pub fn value(&self, step: u64) -> f64 {
        match *self {
            Self::Constant { value } => value,
            Self::ExponentialDecay {
                init_value,
                transition_steps,
                decay_rate,
                transition_begin,
                staircase,
                end_value,
            } => {
                if transition_steps == 0 || step <= transition_begin {
                    return init_value;
                }
                let mut p = (step - transition_begin) as f64 / transition_steps as f64;
                if staircase {
                    p = p.floor();
                }
                let v = init_value * decay_rate.powf(p);
                match end_value {
                    Some(e) if decay_rate < 1.0 => v.max(e),
                    Some(e) => v.min(e),
                    None => v,
                }
            }
            Self::CosineDecay {
                init_value,
                decay_steps,
                alpha,
                exponent,
            } => init_value * cosine_factor(step, decay_steps, alpha, exponent),
            Self::Linear {
                init_value,
                end_value,
                transition_steps,
                transition_begin,
            } => linear(
                init_value,
                end_value,
                transition_steps,
                step.saturating_sub(transition_begin),
            ),
            Self::WarmupCosineDecay {
                init_value,
                peak_value,
                warmup_steps,
                decay_steps,
                end_value,
                exponent,
            } => {
                if step < warmup_steps {
                    linear(init_value, peak_value, warmup_steps, step)
                } else {
                    let alpha = if peak_value == 0.0 {
                        0.0
                    } else {
                        end_value / peak_value
                    };
                    let t = step - warmup_steps;
                    peak_value * cosine_factor(t, decay_steps - warmup_steps, alpha, exponent)
                }
            }
            Self::Warmup {
                init_value,
                warmup_steps,
                ref after,
            } => {
                if step < warmup_steps {
                    linear(init_value, after.value(0), warmup_steps, step)
                } else {
                    after.value(step - warmup_steps)
                }
            }
        }
    }

    /// The same schedule on a time axis stretched by `factor`: every step count (transition,
    /// decay, warm-up and begin steps) is multiplied by `factor` and rounded to the nearest step
    /// (at least 1 where the original was at least 1), so that a run `factor` times as long as
    /// the one the schedule was written for passes through the same values at the same fraction
    /// of its length. This is how a run shortened to fit a smaller machine keeps its learning
    /// rate decay.
    ///
    /// # Example
    /// ```
    /// use prdp_nn::LrSchedule;
    /// let s = LrSchedule::CosineDecay { init_value: 1e-3, decay_steps: 800, alpha: 0.1, exponent: 1.0 };
    /// let short = s.time_scaled(0.2); // a run of 160 instead of 800 steps
    /// assert_eq!(short.value(160), s.value(800));
    /// assert_eq!(short.value(80), s.value(400));
    /// ```
    pub fn time_scaled(&self, factor: f64) -> Self {
        let scale = |steps: u64| {
            if steps == 0 {
                0
            } else {
                ((steps as f64 * factor).round() as u64).max(1)
            }
        };
        match *self {
            Self::Constant { value } => Self::Constant { value },
            Self::ExponentialDecay {
                init_value,
                transition_steps,
                decay_rate,
                transition_begin,
                staircase,
                end_value,
            } => Self::ExponentialDecay {
                init_value,
                transition_steps: scale(transition_steps),
                decay_rate,
                transition_begin: scale(transition_begin),
                staircase,
                end_value,
            },
            Self::CosineDecay {
                init_value,
                decay_steps,
                alpha,
                exponent,
            } => Self::CosineDecay {
                init_value,
                decay_steps: scale(decay_steps),
                alpha,
                exponent,
            },
            Self::Linear {
                init_value,
                end_value,
                transition_steps,
                transition_begin,
            } => Self::Linear {
                init_value,
                end_value,
                transition_steps: scale(transition_steps),
                transition_begin: scale(transition_begin),
            },
            Self::WarmupCosineDecay {
                init_value,
                peak_value,
                warmup_steps,
                decay_steps,
                end_value,
                exponent,
            } => {
                let warmup_steps = scale(warmup_steps);
                Self::WarmupCosineDecay {
                    init_value,
                    peak_value,
                    warmup_steps,
                    decay_steps: scale(decay_steps).max(warmup_steps + 1),
                    end_value,
                    exponent,
                }
            }
            Self::Warmup {
                init_value,
                warmup_steps,
                ref after,
            } => Self::Warmup {
                init_value,
                warmup_steps: scale(warmup_steps),
                after: Box::new(after.time_scaled(factor)),
            },
        }
    }

    /// Checks that every value is finite and every length valid.
    ///
    /// # Errors
    /// [`crate::NnError::Config`] naming the field.
    pub fn validate(&self) -> Result<()> {
        let finite = |field: &str, v: f64| {
            if v.is_finite() {
                Ok(())
            } else {
                Err(invalid(field, v, "a finite number"))
            }
        };
        match *self {
            Self::Constant { value } => finite("schedule.value", value),
            Self::ExponentialDecay {
                init_value,
                decay_rate,
                end_value,
                ..
            } => {
                finite("schedule.init_value", init_value)?;
                if !(decay_rate.is_finite() && decay_rate > 0.0) {
                    return Err(invalid(
                        "schedule.decay_rate",
                        decay_rate,
                        "a positive finite number",
                    ));
                }
                end_value.map_or(Ok(()), |e| finite("schedule.end_value", e))
            }
            Self::CosineDecay {
                init_value,
                decay_steps,
                alpha,
                exponent,
            } => {
                finite("schedule.init_value", init_value)?;
                finite("schedule.alpha", alpha)?;
                finite("schedule.exponent", exponent)?;
                if decay_steps == 0 {
                    return Err(invalid("schedule.decay_steps", 0, "at least 1"));
                }
                Ok(())
            }
            Self::Linear {
                init_value,
                end_value,
                ..
            } => {
                finite("schedule.init_value", init_value)?;
                finite("schedule.end_value", end_value)
            }
            Self::WarmupCosineDecay {
                init_value,
                peak_value,
                warmup_steps,
                decay_steps,
                end_value,
                exponent,
            } => {
                finite("schedule.init_value", init_value)?;
                finite("schedule.peak_value", peak_value)?;
                finite("schedule.end_value", end_value)?;
                finite("schedule.exponent", exponent)?;
                if decay_steps <= warmup_steps {
                    return Err(invalid(
                        "schedule.decay_steps",
                        decay_steps,
                        &format!("more than warmup_steps = {warmup_steps}"),
                    ));
                }
                Ok(())
            }
            Self::Warmup {
                init_value,
                ref after,
                ..
            } => {
                finite("schedule.init_value", init_value)?;
                after.validate()
            }
        }
    }
}

/// `optax.linear_schedule` at `t` steps into the ramp.
fn linear(init: f64, end: f64, steps: u64, t: u64) -> f64 {
    if steps == 0 {
        return init;
    }
    let frac = 1.0 - t.min(steps) as f64 / steps as f64;
    (init - end) * frac + end
}

/// The factor of `optax.cosine_decay_schedule`.
fn cosine_factor(step: u64, decay_steps: u64, alpha: f64, exponent: f64) -> f64 {
    let t = step.min(decay_steps) as f64 / decay_steps as f64;
    let c = 0.5 * (1.0 + (core::f64::consts::PI * t).cos());
    (1.0 - alpha) * c.powf(exponent) + alpha
}
