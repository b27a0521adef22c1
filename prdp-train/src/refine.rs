//! Refinement schedules: how many solver iterations K each update step gets.
//!
//! Three schedules share one interface ([`Refiner`]): a fixed K (the converged baseline K_ε or
//! a point of the incomplete-convergence sweep), the predefined linear schedule of the PRDP
//! paper's section 2.2, and the PRDP controller (Algorithm 4).

use serde::{Deserialize, Serialize};

use crate::TrainError;

/// Which schedule decides K, and its parameters (a serde config).
///
/// # Reference
/// PRDP paper: the linear schedule in section 2.2 (K = 25 + 6 per step on the 1D Poisson
/// problem), the PRDP controller in section 3 and Algorithm 4.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum KSchedule {
    /// K never changes.
    Fixed {
        /// The number of solver iterations.
        k: usize,
    },
    /// K = min(k0 + dk·s, cap) at update step s (PRDP paper, section 2.2).
    Linear {
        /// K at the first update step.
        k0: usize,
        /// Increment per update step.
        dk: usize,
        /// Upper limit (typically K_ε).
        cap: usize,
    },
    /// The PRDP controller.
    Prdp(PrdpConfig),
}

impl KSchedule {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`TrainError::Config`] naming the offending key.
    pub fn validate(&self) -> Result<(), TrainError> {
        match self {
            Self::Fixed { k: 0 } => Err(TrainError::config(
                "schedule.k",
                "0",
                "at least 1 iteration",
            )),
            Self::Linear { k0, cap, .. } if *k0 == 0 || cap < k0 => Err(TrainError::config(
                "schedule.k0/cap",
                format!("k0 = {k0}, cap = {cap}"),
                "1 <= k0 <= cap",
            )),
            Self::Prdp(c) => c.validate(),
            _ => Ok(()),
        }
    }
}

/// What the PRDP controller watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricSource {
    /// The validation metric (the paper's default).
    #[default]
    Validation,
    /// The mean training loss over the interval (the authors report that this works too).
    TrainingLoss,
}

/// How often the controller decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Interval {
    /// Every this many epochs.
    Epochs(usize),
    /// Every this many update steps.
    Steps(usize),
}

impl Default for Interval {
    fn default() -> Self {
        Self::Epochs(1)
    }
}

/// Parameters of the PRDP controller (Algorithm 4 of the PRDP paper, as its reference code
/// implements it).
///
/// Defaults are the paper's Algorithm 4 inputs: τ_step = 0.95, τ_stop = 0.9, δ = 3, Δe = 6,
/// K₀ = 1, ΔK = 1, checkpoint +∞, no cap, one decision per epoch on the validation metric.
///
/// # Reference
/// Bhatia, Koehler and Thuerey, *Progressively Refined Differentiable Physics* (ICLR 2025):
/// section 3 (the controller), appendix E (its parameters) and Algorithm 4 in appendix F.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrdpConfig {
    /// K for the first interval.
    pub k0: usize,
    /// Increment ΔK at each refinement.
    pub dk: usize,
    /// Plateau threshold τ_step on r = L̃[−1]/L̃[−δ], in (0, 1]: a plateau (r > τ_step) is an
    /// improvement by less than the fraction 1 − τ_step over the look-back. Above 1, only a
    /// metric that got worse by more than the factor τ_step would count as a plateau: a flat
    /// metric would never refine.
    pub tau_step: f64,
    /// Stopping threshold τ_stop on r_c = L̃[−1]/c, in (0, 1]: a plateau refines if it is
    /// lower than the last one by more than the fraction 1 − τ_stop (r_c < τ_stop) or higher
    /// than it (r_c > 1), and saturates otherwise. Above 1, every r_c is below τ_stop or above
    /// 1: every plateau would refine and K would never saturate at a K_max.
    pub tau_stop: f64,
    /// Look-back δ (Python index −δ: a lag of δ − 1 intervals).
    pub delta: usize,
    /// EMA window Δe (α = 2/(Δe + 1)); `None` uses the raw history (the Poisson notebook).
    pub ema_window: Option<usize>,
    /// Initial checkpoint c; `None` means +∞ (the first plateau always refines). The heat-2D
    /// notebook uses the untrained network's validation error instead, which
    /// [`InitialCheckpoint::FirstMetric`] selects.
    pub initial_checkpoint: InitialCheckpoint,
    /// Never refine above this K.
    pub cap: Option<usize>,
    /// How often to decide.
    pub interval: Interval,
    /// The metric watched.
    pub metric: MetricSource,
}

/// The checkpoint c before the first refinement.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum InitialCheckpoint {
    /// c = +∞.
    Infinite,
    /// c = the first metric value observed (the untrained network's).
    FirstMetric,
    /// c = this value.
    Value(f64),
}

impl Default for PrdpConfig {
    fn default() -> Self {
        Self {
            k0: 1,
            dk: 1,
            tau_step: 0.95,
            tau_stop: 0.9,
            delta: 3,
            ema_window: Some(6),
            initial_checkpoint: InitialCheckpoint::Infinite,
            cap: None,
            interval: Interval::Epochs(1),
            metric: MetricSource::Validation,
        }
    }
}

impl PrdpConfig {
    /// Checks the parameters.
    ///
    /// # Errors
    /// [`TrainError::Config`] naming the offending key.
    pub fn validate(&self) -> Result<(), TrainError> {
        let positive = |key: &str, v: f64| {
            if v.is_finite() && v > 0.0 {
                Ok(())
            } else {
                Err(TrainError::config(key, v, "a positive finite number"))
            }
        };
        let fraction = |key: &str, v: f64| {
            if v > 0.0 && v <= 1.0 {
                Ok(())
            } else {
                Err(TrainError::config(key, v, "a number in the range (0, 1]"))
            }
        };
        fraction("prdp.tau_step", self.tau_step)?;
        fraction("prdp.tau_stop", self.tau_stop)?;
        if self.k0 == 0 {
            return Err(TrainError::config("prdp.k0", 0, "at least 1 iteration"));
        }
        if self.dk == 0 {
            return Err(TrainError::config("prdp.dk", 0, "at least 1"));
        }
        if self.delta < 2 {
            return Err(TrainError::config(
                "prdp.delta",
                self.delta,
                "at least 2 (a lag of delta - 1 intervals)",
            ));
        }
        if self.ema_window == Some(0) {
            return Err(TrainError::config(
                "prdp.ema_window",
                0,
                "at least 1, or absent for no smoothing",
            ));
        }
        if let InitialCheckpoint::Value(v) = self.initial_checkpoint {
            positive("prdp.initial_checkpoint", v)?;
        }
        if let Some(cap) = self.cap
            && cap < self.k0
        {
            return Err(TrainError::config("prdp.cap", cap, "at least k0"));
        }
        match self.interval {
            Interval::Epochs(0) | Interval::Steps(0) => {
                Err(TrainError::config("prdp.interval", 0, "at least 1"))
            }
            _ => Ok(()),
        }
    }
}

/// What the controller decided after observing a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Not enough history yet (≤ δ values).
    Warmup,
    /// The metric is still improving: keep the coarse physics (progressive-refinement savings).
    Improving,
    /// Plateau, and the plateau is lower than the last one by more than 1 − τ_stop (or higher
    /// than it: the divergent start): refine.
    Refine,
    /// Plateau without gain over the last one: K_max is reached (incomplete-convergence
    /// savings). Not latched: a later improvement re-enables refinement.
    Saturated,
    /// A refinement was due (the checkpoint moved) but K is already at the cap.
    AtCap,
}

/// The state of a refinement schedule: it owns K.
///
/// # Example
/// ```
/// use prdp_train::{Decision, KSchedule, PrdpConfig, Refiner};
/// let mut r = Refiner::new(KSchedule::Prdp(PrdpConfig { ema_window: None, delta: 2, ..PrdpConfig::default() })).unwrap();
/// assert_eq!(r.k(), 1);
/// for v in [1.0, 0.5, 0.25] {
///     r.observe(v).unwrap();
/// }
/// // A plateau: r = 0.25 / 0.25 > τ_step, and c = +∞, so refine.
/// assert_eq!(r.observe(0.25).unwrap(), Decision::Refine);
/// assert_eq!(r.k(), 2);
/// ```
///
/// # Reference
/// PRDP paper, Algorithm 4 (appendix F): the EMA of the validation metric over Δe epochs, the
/// ratio r to δ epochs before against τ_step, and the ratio r_c to the last plateau c against
/// τ_stop; `should_refine` in the paper's listing 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Refiner {
    schedule: KSchedule,
    k: usize,
    history: Vec<f64>,
    smoothed: Vec<f64>,
    /// `None` is +∞ (kept as an option so that the state serialises to JSON).
    checkpoint: Option<f64>,
    step: usize,
    refinements: Vec<usize>,
}

impl Refiner {
    /// A refiner at the schedule's initial K.
    ///
    /// # Errors
    /// [`TrainError::Config`] for invalid parameters.
    pub fn new(schedule: KSchedule) -> Result<Self, TrainError> {
        schedule.validate()?;
        let k = match &schedule {
            KSchedule::Fixed { k } => *k,
            KSchedule::Linear { k0, .. } => *k0,
            KSchedule::Prdp(c) => c.k0,
        };
        let checkpoint = match &schedule {
            KSchedule::Prdp(PrdpConfig {
                initial_checkpoint: InitialCheckpoint::Value(v),
                ..
            }) => Some(*v),
            _ => None,
        };
        Ok(Self {
            schedule,
            k,
            history: Vec::new(),
            smoothed: Vec::new(),
            checkpoint,
            step: 0,
            refinements: Vec::new(),
        })
    }

    /// The number of solver iterations for the next update step.
    pub fn k(&self) -> usize {
        self.k
    }

    /// The schedule.
    pub fn schedule(&self) -> &KSchedule {
        &self.schedule
    }

    /// Metric values observed so far (the controller's raw history).
    pub fn history(&self) -> &[f64] {
        &self.history
    }

    /// The indices (into the history) at which K was raised.
    pub fn refinements(&self) -> &[usize] {
        &self.refinements
    }

    /// The PRDP checkpoint c (the smoothed metric at the last refinement; +∞ before).
    pub fn checkpoint(&self) -> f64 {
        self.checkpoint.unwrap_or(f64::INFINITY)
    }

    /// Called after every update step: advances the linear schedule.
    pub fn on_update_step(&mut self) {
        self.step += 1;
        if let KSchedule::Linear { k0, dk, cap } = self.schedule {
            self.k = (k0 + dk * self.step).min(cap);
        }
    }

    /// Feeds one metric value (one per interval, starting with the untrained model's) and
    /// returns the decision; K is raised on [`Decision::Refine`]. Fixed and linear schedules
    /// record the value and return [`Decision::Improving`].
    ///
    /// # Errors
    /// [`TrainError::NonFiniteMetric`] for a NaN or infinite value.
    pub fn observe(&mut self, value: f64) -> Result<Decision, TrainError> {
        if !value.is_finite() {
            return Err(TrainError::NonFiniteMetric {
                index: self.history.len(),
                value,
                k: self.k,
            });
        }
        self.history.push(value);
        let KSchedule::Prdp(c) = &self.schedule else {
            return Ok(Decision::Improving);
        };
        let smoothed = match c.ema_window {
            Some(w) => {
                let alpha = 2.0 / (w as f64 + 1.0);
                self.smoothed
                    .last()
                    .map_or(value, |prev| (1.0 - alpha) * prev + alpha * value)
            }
            None => value,
        };
        self.smoothed.push(smoothed);
        if self.history.len() == 1 && c.initial_checkpoint == InitialCheckpoint::FirstMetric {
            self.checkpoint = Some(value);
        }
        let n = self.smoothed.len();
        if n <= c.delta {
            return Ok(Decision::Warmup);
        }
        let latest = self.smoothed[n - 1];
        let ratio = latest / self.smoothed[n - c.delta];
        if ratio <= c.tau_step {
            return Ok(Decision::Improving);
        }
        let rc = latest / self.checkpoint();
        if !(rc < c.tau_stop || rc > 1.0) {
            return Ok(Decision::Saturated);
        }
        self.checkpoint = Some(latest);
        let next = self.k + c.dk;
        let capped = c.cap.map_or(next, |cap| next.min(cap));
        if capped == self.k {
            return Ok(Decision::AtCap);
        }
        self.k = capped;
        self.refinements.push(n - 1);
        Ok(Decision::Refine)
    }

    /// The smoothed history (equal to the raw one without an EMA window).
    pub fn smoothed(&self) -> &[f64] {
        &self.smoothed
    }
}
