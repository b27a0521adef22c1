//! Explicit Runge–Kutta methods with tableaus as data: adaptive embedded pairs
//! (Bogacki–Shampine 3(2) and Dormand–Prince 5(4), both first-same-as-last), the classical
//! fixed-step RK4, a mixed absolute/relative error norm, step-size control with growth and
//! shrink limits, and dense output.

use serde::{Deserialize, Serialize};

use crate::error::{IvpError, Result, at_least, config_err, non_negative, positive};
use crate::solver::checkpoint::Arrays;

/// A right-hand side y′ = f(t, y).
pub trait OdeSystem {
    /// Called before every step attempt from (t, y) with step h; `attempt` counts all attempts
    /// so far (Neural IVP draws its Monte Carlo points here).
    fn begin_attempt(&mut self, t: f64, h: f64, attempt: usize) -> Result<()> {
        let _ = (t, h, attempt);
        Ok(())
    }

    /// dy ← f(t, y).
    ///
    /// # Errors
    /// Any error of the evaluation (it aborts the integration).
    fn rhs(&mut self, t: f64, y: &[f64], dy: &mut [f64]) -> Result<()>;
}

impl<F: FnMut(f64, &[f64], &mut [f64])> OdeSystem for F {
    fn rhs(&mut self, t: f64, y: &[f64], dy: &mut [f64]) -> Result<()> {
        self(t, y, dy);
        Ok(())
    }
}

/// An explicit Runge–Kutta tableau.
#[derive(Debug, Clone, PartialEq)]
pub struct Tableau {
    /// Name, e.g. `"BS23"`.
    pub name: &'static str,
    /// Nodes c.
    pub c: Vec<f64>,
    /// Rows of the strictly lower triangular matrix A (row s has s entries).
    pub a: Vec<Vec<f64>>,
    /// Weights of the propagated solution.
    pub b: Vec<f64>,
    /// b − b̂: weights of the local error estimate (empty for a fixed-step method).
    pub e: Vec<f64>,
    /// Order of the propagated solution.
    pub order: usize,
    /// Order of the embedded solution (the controller uses exponent 1/(this + 1)).
    pub error_order: usize,
    /// The last stage is f(t + h, y_new), so it is the next step's first stage.
    pub fsal: bool,
    /// Dense output: y(t + σh) = y + h Σ_s k_s Σ_j P\[s\]\[j\] σ^(j+1); empty for cubic Hermite
    /// interpolation.
    pub dense: Vec<Vec<f64>>,
}

impl Tableau {
    /// Number of stages.
    pub fn stages(&self) -> usize {
        self.c.len()
    }

    /// Whether the tableau has an embedded error estimate.
    pub fn is_adaptive(&self) -> bool {
        !self.e.is_empty()
    }

    /// Bogacki–Shampine 3(2), FSAL (three new stages per accepted step), with its cubic
    /// Hermite dense output.
    ///
    /// # Reference
    /// Bogacki and Shampine, *A 3(2) pair of Runge–Kutta formulas*, Appl. Math. Lett. 2 (1989).
    pub fn bogacki_shampine() -> Self {
        let b = vec![2.0 / 9.0, 1.0 / 3.0, 4.0 / 9.0, 0.0];
        let bhat = [7.0 / 24.0, 1.0 / 4.0, 1.0 / 3.0, 1.0 / 8.0];
        Self {
            name: "BS23",
            c: vec![0.0, 0.5, 0.75, 1.0],
            a: vec![vec![], vec![0.5], vec![0.0, 0.75], b[..3].to_vec()],
            e: b.iter().zip(bhat).map(|(x, y)| x - y).collect(),
            b,
            order: 3,
            error_order: 2,
            fsal: true,
            dense: vec![
                vec![1.0, -4.0 / 3.0, 5.0 / 9.0],
                vec![0.0, 1.0, -2.0 / 3.0],
                vec![0.0, 4.0 / 3.0, -8.0 / 9.0],
                vec![0.0, -1.0, 1.0],
            ],
        }
    }

    /// Dormand–Prince 5(4), FSAL, with its fourth-order continuous extension.
    ///
    /// # Reference
    /// Dormand and Prince, *A family of embedded Runge–Kutta formulae*, J. Comput. Appl. Math.
    /// 6 (1980); dense output of Shampine (1986) as in Hairer's `dopri5` and SciPy's `RK45`.
    pub fn dormand_prince() -> Self {
        let b = vec![
            35.0 / 384.0,
            0.0,
            500.0 / 1113.0,
            125.0 / 192.0,
            -2187.0 / 6784.0,
            11.0 / 84.0,
            0.0,
        ];
        let bhat = [
            5179.0 / 57600.0,
            0.0,
            7571.0 / 16695.0,
            393.0 / 640.0,
            -92097.0 / 339200.0,
            187.0 / 2100.0,
            1.0 / 40.0,
        ];
        Self {
            name: "DP54",
            c: vec![0.0, 0.2, 0.3, 0.8, 8.0 / 9.0, 1.0, 1.0],
            a: vec![
                vec![],
                vec![0.2],
                vec![3.0 / 40.0, 9.0 / 40.0],
                vec![44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0],
                vec![
                    19372.0 / 6561.0,
                    -25360.0 / 2187.0,
                    64448.0 / 6561.0,
                    -212.0 / 729.0,
                ],
                vec![
                    9017.0 / 3168.0,
                    -355.0 / 33.0,
                    46732.0 / 5247.0,
                    49.0 / 176.0,
                    -5103.0 / 18656.0,
                ],
                b[..6].to_vec(),
            ],
            e: b.iter().zip(bhat).map(|(x, y)| x - y).collect(),
            b,
            order: 5,
            error_order: 4,
            fsal: true,
            dense: vec![
                vec![
                    1.0,
                    -8048581381.0 / 2820520608.0,
                    8663915743.0 / 2820520608.0,
                    -12715105075.0 / 11282082432.0,
                ],
                vec![0.0, 0.0, 0.0, 0.0],
                vec![
                    0.0,
                    131558114200.0 / 32700410799.0,
                    -68118460800.0 / 10900136933.0,
                    87487479700.0 / 32700410799.0,
                ],
                vec![
                    0.0,
                    -1754552775.0 / 470086768.0,
                    14199869525.0 / 1410260304.0,
                    -10690763975.0 / 1880347072.0,
                ],
                vec![
                    0.0,
                    127303824393.0 / 49829197408.0,
                    -318862633887.0 / 49829197408.0,
                    701980252875.0 / 199316789632.0,
                ],
                vec![
                    0.0,
                    -282668133.0 / 205662961.0,
                    2019193451.0 / 616988883.0,
                    -1453857185.0 / 822651844.0,
                ],
                vec![
                    0.0,
                    40617522.0 / 29380423.0,
                    -110615467.0 / 29380423.0,
                    69997945.0 / 29380423.0,
                ],
            ],
        }
    }

    /// The classical fixed-step fourth-order method (dense output by cubic Hermite
    /// interpolation).
    pub fn rk4() -> Self {
        Self {
            name: "RK4",
            c: vec![0.0, 0.5, 0.5, 1.0],
            a: vec![vec![], vec![0.5], vec![0.0, 0.5], vec![0.0, 0.0, 1.0]],
            b: vec![1.0 / 6.0, 1.0 / 3.0, 1.0 / 3.0, 1.0 / 6.0],
            e: Vec::new(),
            order: 4,
            error_order: 4,
            fsal: false,
            dense: Vec::new(),
        }
    }
}

/// The adaptive RK methods a configuration can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RkScheme {
    /// Bogacki–Shampine 3(2) (the public Neural IVP code's `rk23`).
    #[default]
    Bs23,
    /// Dormand–Prince 5(4) (the paper's "RK45").
    Dp54,
    /// Classical RK4 with a fixed step `h0`.
    Rk4,
}

impl RkScheme {
    /// The tableau.
    pub fn tableau(self) -> Tableau {
        match self {
            Self::Bs23 => Tableau::bogacki_shampine(),
            Self::Dp54 => Tableau::dormand_prince(),
            Self::Rk4 => Tableau::rk4(),
        }
    }
}

/// Step-size control. The error of a step is, with [`ErrorNorm::Mixed`], the RMS over
/// components of eᵢ / (atol + rtol·max(|yᵢ|, |y_newᵢ|)), and with [`ErrorNorm::InitialScaled`]
/// ‖e‖₂ / (rtol·‖y₀‖₂); a step is accepted when it is ≤ 1, and the next step is
/// h·clamp(safety·err^(−1/(q+1)), min_shrink, max_growth) with q the embedded order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StepControl {
    /// The method.
    pub method: RkScheme,
    /// Relative tolerance.
    pub rtol: f64,
    /// Absolute tolerance (unused by [`ErrorNorm::InitialScaled`]).
    pub atol: f64,
    /// How a step's error estimate is measured.
    pub norm: ErrorNorm,
    /// Initial step (the step of a fixed-step method); `None` for 20·(t_end − t₀)·rtol, the
    /// public code's choice.
    pub h0: Option<f64>,
    /// Safety factor.
    pub safety: f64,
    /// Largest step growth factor.
    pub max_growth: f64,
    /// Smallest step shrink factor.
    pub min_shrink: f64,
    /// Largest step (unbounded by default; JSON has no ∞, so it is written and read as `null`).
    #[serde(
        serialize_with = "infinity_as_null",
        deserialize_with = "infinity_from_null"
    )]
    pub h_max: f64,
    /// Smallest step before the integration fails.
    pub h_min: f64,
    /// Most step attempts before the integration fails.
    pub max_attempts: usize,
}

impl Default for StepControl {
    fn default() -> Self {
        Self {
            method: RkScheme::Bs23,
            rtol: 1e-4,
            atol: 1e-4,
            norm: ErrorNorm::Mixed,
            h0: None,
            safety: 0.9,
            max_growth: 5.0,
            min_shrink: 0.2,
            h_max: f64::INFINITY,
            h_min: 1e-12,
            max_attempts: 100_000,
        }
    }
}

/// The norm of a step's error estimate e.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorNorm {
    /// Component-wise mixed absolute/relative scaling, RMS over components.
    #[default]
    Mixed,
    /// ‖e‖₂ against rtol·‖y₀‖₂, y₀ the state the integrator started from (the public Neural IVP
    /// code: a step is accepted iff ‖e‖ < odetol·‖θ₀‖, not recomputed after restarts).
    InitialScaled,
}

impl StepControl {
    /// Checks every field.
    ///
    /// # Errors
    /// [`IvpError::Config`] naming the key under `prefix`.
    pub fn validate(&self, prefix: &str) -> Result<()> {
        non_negative(&format!("{prefix}.rtol"), self.rtol)?;
        non_negative(&format!("{prefix}.atol"), self.atol)?;
        if self.rtol == 0.0 && self.atol == 0.0 && self.method != RkScheme::Rk4 {
            return Err(config_err(
                &format!("{prefix}.atol"),
                0,
                "atol or rtol must be > 0",
            ));
        }
        if let Some(h) = self.h0 {
            positive(&format!("{prefix}.h0"), h)?;
        } else if self.method == RkScheme::Rk4 {
            return Err(config_err(
                &format!("{prefix}.h0"),
                "none",
                "a fixed step for RK4",
            ));
        }
        if !(self.safety > 0.0 && self.safety <= 1.0) {
            return Err(config_err(
                &format!("{prefix}.safety"),
                self.safety,
                "in (0, 1]",
            ));
        }
        if self.max_growth.is_nan() || self.max_growth < 1.0 {
            return Err(config_err(
                &format!("{prefix}.max_growth"),
                self.max_growth,
                ">= 1",
            ));
        }
        if !(self.min_shrink > 0.0 && self.min_shrink <= 1.0) {
            return Err(config_err(
                &format!("{prefix}.min_shrink"),
                self.min_shrink,
                "in (0, 1]",
            ));
        }
        if self.h_max.is_nan() || self.h_max <= 0.0 {
            return Err(config_err(&format!("{prefix}.h_max"), self.h_max, "> 0"));
        }
        non_negative(&format!("{prefix}.h_min"), self.h_min)?;
        at_least(&format!("{prefix}.max_attempts"), self.max_attempts, 1)
    }
}

/// What one accepted step did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepInfo {
    /// Start of the step.
    pub t0: f64,
    /// Step size taken.
    pub h: f64,
    /// Error norm of the accepted step (0 for fixed-step methods).
    pub error: f64,
    /// Rejected attempts before it.
    pub rejected: usize,
    /// Right-hand side evaluations made for it.
    pub evaluations: usize,
}

/// The scalars of an [`Integrator`] in a checkpoint (its arrays go separately).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct IntegratorState {
    t: f64,
    h: f64,
    t_prev: f64,
    h_prev: f64,
    first_valid: bool,
    attempts: usize,
    evaluations: usize,
    y0_norm: f64,
}

/// An explicit RK integrator over a state of fixed length, advanced one accepted step at a
/// time so that a driver can act between steps (outputs, restarts).
///
/// # Example
/// ```
/// use neural_ivp::{Integrator, RkScheme, StepControl};
/// // y′ = −y, y(0) = 1
/// let ctl = StepControl { method: RkScheme::Dp54, rtol: 1e-8, atol: 1e-10, ..Default::default() };
/// let mut rk = Integrator::new(ctl, 0.0, vec![1.0], 1.0)?;
/// let mut f = |_t: f64, y: &[f64], dy: &mut [f64]| dy[0] = -y[0];
/// while rk.t() < 1.0 {
///     rk.step(&mut f, 1.0)?;
/// }
/// assert!((rk.y()[0] - (-1.0f64).exp()).abs() < 1e-8);
/// # Ok::<(), neural_ivp::IvpError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Integrator {
    control: StepControl,
    tab: Tableau,
    t: f64,
    h: f64,
    y: Vec<f64>,
    y_prev: Vec<f64>,
    t_prev: f64,
    h_prev: f64,
    k: Vec<Vec<f64>>,
    first_valid: bool,
    stage: Vec<f64>,
    y_new: Vec<f64>,
    attempts: usize,
    evaluations: usize,
    /// ‖y₀‖₂, the scale of [`ErrorNorm::InitialScaled`].
    y0_norm: f64,
}

impl Integrator {
    /// An integrator at (t₀, y₀); `span` (> 0) sets the default initial step 20·span·rtol.
    ///
    /// # Errors
    /// [`IvpError::Config`] for a bad control.
    pub fn new(control: StepControl, t0: f64, y0: Vec<f64>, span: f64) -> Result<Self> {
        control.validate("integrator")?;
        let tab = control.method.tableau();
        let n = y0.len();
        let y0_norm = y0.iter().map(|v| v * v).sum::<f64>().sqrt();
        if control.norm == ErrorNorm::InitialScaled && !(y0_norm > 0.0 && control.rtol > 0.0) {
            return Err(config_err(
                "integrator.norm",
                "initial_scaled",
                "a nonzero initial state and rtol > 0",
            ));
        }
        let h = control
            .h0
            .unwrap_or(20.0 * span.abs() * control.rtol.max(1e-12))
            .min(control.h_max);
        Ok(Self {
            k: vec![vec![0.0; n]; tab.stages()],
            tab,
            control,
            t: t0,
            h,
            y_prev: y0.clone(),
            y: y0,
            t_prev: t0,
            h_prev: 0.0,
            first_valid: false,
            stage: vec![0.0; n],
            y_new: vec![0.0; n],
            attempts: 0,
            evaluations: 0,
            y0_norm,
        })
    }

    /// Current time.
    pub fn t(&self) -> f64 {
        self.t
    }

    /// Current state.
    pub fn y(&self) -> &[f64] {
        &self.y
    }

    /// Current step-size proposal.
    pub fn h(&self) -> f64 {
        self.h
    }

    /// The first stage of the next step, f(t, y), when already known (FSAL).
    pub fn derivative(&self) -> Option<&[f64]> {
        self.first_valid.then_some(&self.k[0][..])
    }

    /// f(t, y) at the current state, evaluated now if not already known; it is kept as the
    /// next step's first stage.
    ///
    /// # Errors
    /// Errors of the system.
    pub fn ensure_derivative(&mut self, sys: &mut dyn OdeSystem) -> Result<&[f64]> {
        if !self.first_valid {
            sys.rhs(self.t, &self.y, &mut self.k[0])?;
            self.evaluations += 1;
            self.first_valid = true;
        }
        Ok(&self.k[0])
    }

    /// Discards the stored first stage f(t, y) (e.g. when the right-hand side changed because
    /// new Monte Carlo points were drawn).
    pub fn invalidate_derivative(&mut self) {
        self.first_valid = false;
    }

    /// Right-hand side evaluations so far.
    pub fn evaluations(&self) -> usize {
        self.evaluations
    }

    /// Saves what the next steps and dense outputs depend on: θ, the last step's start and
    /// stages, the step-size proposal and the counters (arrays into `arrays`).
    pub(crate) fn save(&self, arrays: &mut Arrays) -> IntegratorState {
        arrays.put("rk.y", &self.y);
        arrays.put("rk.y_prev", &self.y_prev);
        for (i, k) in self.k.iter().enumerate() {
            arrays.put(format!("rk.k.{i}"), k);
        }
        IntegratorState {
            t: self.t,
            h: self.h,
            t_prev: self.t_prev,
            h_prev: self.h_prev,
            first_valid: self.first_valid,
            attempts: self.attempts,
            evaluations: self.evaluations,
            y0_norm: self.y0_norm,
        }
    }

    /// Restores what [`Integrator::save`] saved (into an integrator of the same control and
    /// size).
    ///
    /// # Errors
    /// [`IvpError::Checkpoint`] for missing arrays or arrays of another size.
    pub(crate) fn restore(&mut self, state: &IntegratorState, arrays: &mut Arrays) -> Result<()> {
        let n = self.y.len();
        self.y = arrays.take("rk.y", n)?;
        self.y_prev = arrays.take("rk.y_prev", n)?;
        for (i, k) in self.k.iter_mut().enumerate() {
            *k = arrays.take(&format!("rk.k.{i}"), n)?;
        }
        let IntegratorState {
            t,
            h,
            t_prev,
            h_prev,
            first_valid,
            attempts,
            evaluations,
            y0_norm,
        } = *state;
        (self.t, self.h, self.t_prev, self.h_prev) = (t, h, t_prev, h_prev);
        (
            self.first_valid,
            self.attempts,
            self.evaluations,
            self.y0_norm,
        ) = (first_valid, attempts, evaluations, y0_norm);
        Ok(())
    }

    /// Replaces the state (e.g. after a restart); the stored first stage is discarded.
    ///
    /// # Panics
    /// If `y` has a different length.
    pub fn set_state(&mut self, y: &[f64]) {
        self.y.copy_from_slice(y);
        self.first_valid = false;
    }

    /// Takes one accepted step, not beyond `t_stop`.
    ///
    /// # Errors
    /// [`IvpError::Integrator`] if the step falls below `h_min` or the attempts run out;
    /// [`IvpError::NonFinite`] if the new state is not finite; errors of the system.
    pub fn step(&mut self, sys: &mut dyn OdeSystem, t_stop: f64) -> Result<StepInfo> {
        let s = self.tab.stages();
        let mut rejected = 0;
        let evals_before = self.evaluations;
        loop {
            if self.attempts >= self.control.max_attempts {
                return Err(IvpError::Integrator {
                    time: self.t,
                    reason: format!("{} step attempts", self.attempts),
                });
            }
            let remaining = t_stop - self.t;
            let h = self.h.min(remaining).min(self.control.h_max);
            if h < self.control.h_min && remaining > self.control.h_min {
                return Err(IvpError::Integrator {
                    time: self.t,
                    reason: format!("step size {h:e} below h_min"),
                });
            }
            sys.begin_attempt(self.t, h, self.attempts)?;
            self.attempts += 1;
            if !self.first_valid {
                sys.rhs(self.t, &self.y, &mut self.k[0])?;
                self.evaluations += 1;
                self.first_valid = true;
            }
            for st in 1..s {
                self.stage.copy_from_slice(&self.y);
                for (j, &aj) in self.tab.a[st].iter().enumerate() {
                    if aj != 0.0 {
                        for (yi, &kj) in self.stage.iter_mut().zip(&self.k[j]) {
                            *yi += h * aj * kj;
                        }
                    }
                }
                sys.rhs(self.t + self.tab.c[st] * h, &self.stage, &mut self.k[st])?;
                self.evaluations += 1;
            }
            self.y_new.copy_from_slice(&self.y);
            for (j, &bj) in self.tab.b.iter().enumerate() {
                if bj != 0.0 {
                    for (yi, &kj) in self.y_new.iter_mut().zip(&self.k[j]) {
                        *yi += h * bj * kj;
                    }
                }
            }
            if let Some(i) = self.y_new.iter().position(|v| !v.is_finite()) {
                return Err(IvpError::NonFinite {
                    what: "state".into(),
                    time: self.t,
                    step: self.attempts,
                    index: i,
                });
            }
            let err = if self.tab.is_adaptive() {
                self.error_norm(h)
            } else {
                0.0
            };
            let q = self.tab.error_order as f64;
            let factor = if err == 0.0 {
                self.control.max_growth
            } else {
                (self.control.safety * err.powf(-1.0 / (q + 1.0)))
                    .clamp(self.control.min_shrink, self.control.max_growth)
            };
            if err <= 1.0 {
                self.y_prev.copy_from_slice(&self.y);
                self.t_prev = self.t;
                self.h_prev = h;
                core::mem::swap(&mut self.y, &mut self.y_new);
                self.t = if h == remaining { t_stop } else { self.t + h };
                if self.tab.is_adaptive() {
                    // a step shortened to land on t_stop keeps the proposal it had
                    self.h = if h < self.h {
                        self.h.max(h * factor)
                    } else {
                        h * factor
                    };
                }
                if self.tab.fsal {
                    let last = self.k.pop().expect("at least one stage");
                    self.k.insert(0, last);
                    self.first_valid = true;
                } else {
                    self.first_valid = false;
                }
                return Ok(StepInfo {
                    t0: self.t_prev,
                    h,
                    error: err,
                    rejected,
                    evaluations: self.evaluations - evals_before,
                });
            }
            rejected += 1;
            self.h = h * factor;
        }
    }

    fn error_norm(&self, h: f64) -> f64 {
        let (atol, rtol) = (self.control.atol, self.control.rtol);
        let n = self.y.len().max(1);
        let mut acc = 0.0;
        for i in 0..self.y.len() {
            let mut e = 0.0;
            for (j, &ej) in self.tab.e.iter().enumerate() {
                e += ej * self.k[j][i];
            }
            let r = match self.control.norm {
                ErrorNorm::Mixed => {
                    h * e / (atol + rtol * self.y[i].abs().max(self.y_new[i].abs()))
                }
                ErrorNorm::InitialScaled => h * e,
            };
            acc += r * r;
        }
        match self.control.norm {
            ErrorNorm::Mixed => (acc / n as f64).sqrt(),
            ErrorNorm::InitialScaled => acc.sqrt() / (rtol * self.y0_norm),
        }
    }

    /// Dense output at t in the last accepted step [t₀, t₀ + h] into `out`.
    ///
    /// # Errors
    /// [`IvpError::Integrator`] if t is outside the last step.
    pub fn dense(&self, t: f64, out: &mut [f64]) -> Result<()> {
        let h = self.h_prev;
        let tol = 1e-12 * (1.0 + t.abs());
        if h == 0.0 || t < self.t_prev - tol || t > self.t_prev + h + tol {
            return Err(IvpError::Integrator {
                time: t,
                reason: format!(
                    "dense output outside the last step [{}, {}]",
                    self.t_prev,
                    self.t_prev + h
                ),
            });
        }
        let sigma = ((t - self.t_prev) / h).clamp(0.0, 1.0);
        out.copy_from_slice(&self.y_prev);
        if !self.tab.dense.is_empty() {
            // after an FSAL rotation stage s of the last step is k[s + 1] (the last is k[0])
            let stages = self.tab.stages();
            let shift = usize::from(self.tab.fsal);
            for (s, row) in self.tab.dense.iter().enumerate() {
                let mut w = 0.0;
                let mut pw = sigma;
                for &c in row {
                    w += c * pw;
                    pw *= sigma;
                }
                if w != 0.0 {
                    let k = &self.k[(s + shift) % stages];
                    for (o, &ki) in out.iter_mut().zip(k) {
                        *o += h * w * ki;
                    }
                }
            }
        } else {
            // cubic Hermite between (y_prev, f_prev) and (y, f): needs both derivatives,
            // which a non-FSAL method only has for the first; fall back to the quadratic
            // through y_prev, f_prev and y.
            let f0 = &self.k[0];
            let (a, b) = (sigma - sigma * sigma, sigma * sigma);
            for ((o, (&y0, &y1)), &d0) in
                out.iter_mut().zip(self.y_prev.iter().zip(&self.y)).zip(f0)
            {
                *o = y0 + a * h * d0 + b * (y1 - y0);
            }
        }
        Ok(())
    }
}

/// Writes ∞ as `null` (JSON has no infinity) and every other value as a number.
fn infinity_as_null<S: serde::Serializer>(v: &f64, s: S) -> core::result::Result<S::Ok, S::Error> {
    if *v == f64::INFINITY {
        s.serialize_none()
    } else {
        s.serialize_f64(*v)
    }
}

/// Reads `null` as ∞.
fn infinity_from_null<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> core::result::Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::INFINITY))
}
