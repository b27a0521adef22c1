//! Optimisers in optax style: a serde config, a separate state of flat vectors, and a fused
//! in-place update of any flat parameter vector.

use prdp_core::Real;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Result, check_len, invalid};
use crate::schedule::LrSchedule;

/// Vectors at least this long are updated in parallel blocks.
const PAR_MIN: usize = 1 << 16;
/// Block length of the parallel update.
const BLOCK: usize = 1 << 14;

/// A first-order optimiser. Serialised with a `kind` tag, e.g.
/// `{"kind": "adam", "learning_rate": {"kind": "constant", "value": 0.001}}`.
///
/// Updates follow optax exactly: the learning rate of update `k` (0-based) is
/// `learning_rate.value(k)`, Adam's bias corrections use `k + 1`.
///
/// # Example
/// ```
/// use prdp_nn::{Optimizer, LrSchedule};
/// let opt = Optimizer::adam(LrSchedule::Constant { value: 0.1 });
/// let mut x = vec![1.0f64, -2.0];
/// let mut state = opt.init(x.len());
/// // The first Adam step moves every coordinate by the learning rate against its gradient sign.
/// opt.update(&mut x, &[3.0, -0.5], &mut state)?;
/// assert!((x[0] - 0.9).abs() < 1e-7 && (x[1] + 1.9).abs() < 1e-7);
/// assert_eq!(state.step, 1);
/// # Ok::<(), prdp_nn::NnError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Optimizer {
    /// `optax.sgd`: with momentum μ > 0 the trace t ← g + μt is followed (t itself, or g + μt if
    /// `nesterov`), then x ← x − lr·update.
    Sgd {
        /// Learning-rate schedule.
        learning_rate: LrSchedule,
        /// Momentum μ (0 for plain gradient descent, which keeps no state).
        #[serde(default)]
        momentum: f64,
        /// Nesterov momentum.
        #[serde(default)]
        nesterov: bool,
    },
    /// `optax.adam`.
    Adam {
        /// Learning-rate schedule.
        learning_rate: LrSchedule,
        /// Decay of the first moment.
        #[serde(default = "b1")]
        b1: f64,
        /// Decay of the second moment.
        #[serde(default = "b2")]
        b2: f64,
        /// Added to the root of the second moment.
        #[serde(default = "eps")]
        eps: f64,
        /// Added to the second moment under the root.
        #[serde(default)]
        eps_root: f64,
    },
    /// `optax.adamw`: Adam plus decoupled weight decay, x ← x − lr·(adam update + λx).
    AdamW {
        /// Learning-rate schedule.
        learning_rate: LrSchedule,
        /// Decay of the first moment.
        #[serde(default = "b1")]
        b1: f64,
        /// Decay of the second moment.
        #[serde(default = "b2")]
        b2: f64,
        /// Added to the root of the second moment.
        #[serde(default = "eps")]
        eps: f64,
        /// Added to the second moment under the root.
        #[serde(default)]
        eps_root: f64,
        /// Weight decay λ.
        #[serde(default = "weight_decay")]
        weight_decay: f64,
    },
}

fn b1() -> f64 {
    0.9
}
fn b2() -> f64 {
    0.999
}
fn eps() -> f64 {
    1e-8
}
fn weight_decay() -> f64 {
    1e-4
}

/// The state of an [`Optimizer`] for one flat parameter vector: the number of updates applied
/// and up to two moment vectors (empty when unused). Plain vectors, so checkpoints and other
/// crates can read and write them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OptState<T> {
    /// Number of updates applied so far.
    pub step: u64,
    /// Adam's first moment, or SGD's momentum trace.
    pub mu: Vec<T>,
    /// Adam's second moment (empty for SGD).
    pub nu: Vec<T>,
}

/// Scalars of one Adam update, in `T`.
#[derive(Clone, Copy)]
struct AdamStep<T> {
    b1: T,
    one_minus_b1: T,
    b2: T,
    one_minus_b2: T,
    inv_bc1: T,
    inv_bc2: T,
    eps: T,
    eps_root: T,
    lr: T,
    decay: T,
}

impl Optimizer {
    /// Adam with optax's defaults (b1 = 0.9, b2 = 0.999, eps = 1e-8).
    pub fn adam(learning_rate: LrSchedule) -> Self {
        Self::Adam {
            learning_rate,
            b1: b1(),
            b2: b2(),
            eps: eps(),
            eps_root: 0.0,
        }
    }

    /// AdamW with optax's defaults and weight decay `weight_decay`.
    pub fn adamw(learning_rate: LrSchedule, weight_decay: f64) -> Self {
        Self::AdamW {
            learning_rate,
            b1: b1(),
            b2: b2(),
            eps: eps(),
            eps_root: 0.0,
            weight_decay,
        }
    }

    /// The same optimiser with its learning-rate schedule stretched in time by `factor`
    /// ([`LrSchedule::time_scaled`]).
    pub fn time_scaled(&self, factor: f64) -> Self {
        let mut o = self.clone();
        let (Self::Sgd { learning_rate, .. }
        | Self::Adam { learning_rate, .. }
        | Self::AdamW { learning_rate, .. }) = &mut o;
        *learning_rate = learning_rate.time_scaled(factor);
        o
    }

    /// SGD with momentum `momentum` (0 for none).
    pub fn sgd(learning_rate: LrSchedule, momentum: f64) -> Self {
        Self::Sgd {
            learning_rate,
            momentum,
            nesterov: false,
        }
    }

    /// The learning-rate schedule.
    pub fn learning_rate(&self) -> &LrSchedule {
        match self {
            Self::Sgd { learning_rate, .. }
            | Self::Adam { learning_rate, .. }
            | Self::AdamW { learning_rate, .. } => learning_rate,
        }
    }

    /// Names of the moment vectors [`OptState::mu`] and [`OptState::nu`] (as used in
    /// checkpoints), `None` for a vector this optimiser does not keep.
    pub fn slot_names(&self) -> [Option<&'static str>; 2] {
        match self {
            Self::Sgd { momentum, .. } => [(*momentum != 0.0).then_some("sgd_trace"), None],
            Self::Adam { .. } | Self::AdamW { .. } => [Some("adam_m"), Some("adam_v")],
        }
    }

    /// Checks every hyperparameter.
    ///
    /// # Errors
    /// [`crate::NnError::Config`] naming the field.
    pub fn validate(&self) -> Result<()> {
        self.learning_rate().validate()?;
        let nonneg = |field: &str, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(invalid(field, v, "a finite number >= 0"))
            }
        };
        let unit = |field: &str, v: f64| {
            if (0.0..1.0).contains(&v) {
                Ok(())
            } else {
                Err(invalid(field, v, "a number in [0, 1)"))
            }
        };
        match *self {
            Self::Sgd { momentum, .. } => unit("optimizer.momentum", momentum),
            Self::Adam {
                b1,
                b2,
                eps,
                eps_root,
                ..
            }
            | Self::AdamW {
                b1,
                b2,
                eps,
                eps_root,
                ..
            } => {
                unit("optimizer.b1", b1)?;
                unit("optimizer.b2", b2)?;
                nonneg("optimizer.eps", eps)?;
                nonneg("optimizer.eps_root", eps_root)?;
                if let Self::AdamW { weight_decay, .. } = *self {
                    nonneg("optimizer.weight_decay", weight_decay)?;
                }
                Ok(())
            }
        }
    }

    /// A zero state for `n` parameters.
    pub fn init<T: Real>(&self, n: usize) -> OptState<T> {
        let [mu, nu] = self.slot_names().map(|s| {
            if s.is_some() {
                vec![T::zero(); n]
            } else {
                Vec::new()
            }
        });
        OptState { step: 0, mu, nu }
    }

    /// Applies one update to `params` from `grads` in a single fused pass over parameters,
    /// gradients and moments (parallel over blocks for long vectors), then increments
    /// `state.step`.
    ///
    /// # Errors
    /// [`crate::NnError::Length`] if `grads` or the state vectors do not match `params`.
    pub fn update<T: Real>(
        &self,
        params: &mut [T],
        grads: &[T],
        state: &mut OptState<T>,
    ) -> Result<()> {
        let n = params.len();
        check_len("grads", n, grads.len())?;
        let [mu_name, nu_name] = self.slot_names();
        check_len(
            mu_name.unwrap_or("unused first moment"),
            if mu_name.is_some() { n } else { 0 },
            state.mu.len(),
        )?;
        check_len(
            nu_name.unwrap_or("unused second moment"),
            if nu_name.is_some() { n } else { 0 },
            state.nu.len(),
        )?;
        let lr = self.learning_rate().value(state.step);
        match *self {
            Self::Sgd {
                momentum, nesterov, ..
            } => {
                let lr = T::of(lr);
                if momentum == 0.0 {
                    blocks2(params, grads, |p, g| {
                        for (pi, &gi) in p.iter_mut().zip(g) {
                            *pi -= lr * gi;
                        }
                    });
                } else {
                    let mu = T::of(momentum);
                    blocks3(params, grads, &mut state.mu, |p, g, t| {
                        for ((pi, &gi), ti) in p.iter_mut().zip(g).zip(t.iter_mut()) {
                            *ti = mu.mul_add(*ti, gi);
                            let u = if nesterov { mu.mul_add(*ti, gi) } else { *ti };
                            *pi -= lr * u;
                        }
                    });
                }
            }
            Self::Adam {
                b1,
                b2,
                eps,
                eps_root,
                ..
            }
            | Self::AdamW {
                b1,
                b2,
                eps,
                eps_root,
                ..
            } => {
                let decay = match *self {
                    Self::AdamW { weight_decay, .. } => weight_decay,
                    _ => 0.0,
                };
                let t = (state.step + 1) as f64;
                let c = AdamStep {
                    b1: T::of(b1),
                    one_minus_b1: T::of(1.0 - b1),
                    b2: T::of(b2),
                    one_minus_b2: T::of(1.0 - b2),
                    inv_bc1: T::of(1.0 / (1.0 - b1.powf(t))),
                    inv_bc2: T::of(1.0 / (1.0 - b2.powf(t))),
                    eps: T::of(eps),
                    eps_root: T::of(eps_root),
                    lr: T::of(lr),
                    decay: T::of(decay),
                };
                blocks4(params, grads, &mut state.mu, &mut state.nu, |p, g, m, v| {
                    adam_block(c, p, g, m, v)
                });
            }
        }
        state.step += 1;
        Ok(())
    }
}

#[inline]
fn adam_block<T: Real>(c: AdamStep<T>, p: &mut [T], g: &[T], m: &mut [T], v: &mut [T]) {
    for (((pi, &gi), mi), vi) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
        let m_new = c.b1.mul_add(*mi, c.one_minus_b1 * gi);
        let v_new = c.b2.mul_add(*vi, c.one_minus_b2 * gi * gi);
        *mi = m_new;
        *vi = v_new;
        let u = m_new * c.inv_bc1 / ((v_new * c.inv_bc2 + c.eps_root).sqrt() + c.eps);
        *pi -= c.lr * c.decay.mul_add(*pi, u);
    }
}

fn blocks2<T: Real>(p: &mut [T], g: &[T], f: impl Fn(&mut [T], &[T]) + Sync) {
    if p.len() < PAR_MIN {
        f(p, g);
    } else {
        p.par_chunks_mut(BLOCK)
            .zip(g.par_chunks(BLOCK))
            .for_each(|(p, g)| f(p, g));
    }
}

fn blocks3<T: Real>(
    p: &mut [T],
    g: &[T],
    a: &mut [T],
    f: impl Fn(&mut [T], &[T], &mut [T]) + Sync,
) {
    if p.len() < PAR_MIN {
        f(p, g, a);
    } else {
        p.par_chunks_mut(BLOCK)
            .zip(g.par_chunks(BLOCK))
            .zip(a.par_chunks_mut(BLOCK))
            .for_each(|((p, g), a)| f(p, g, a));
    }
}

fn blocks4<T: Real>(
    p: &mut [T],
    g: &[T],
    a: &mut [T],
    b: &mut [T],
    f: impl Fn(&mut [T], &[T], &mut [T], &mut [T]) + Sync,
) {
    if p.len() < PAR_MIN {
        f(p, g, a, b);
    } else {
        p.par_chunks_mut(BLOCK)
            .zip(g.par_chunks(BLOCK))
            .zip(a.par_chunks_mut(BLOCK))
            .zip(b.par_chunks_mut(BLOCK))
            .for_each(|(((p, g), a), b)| f(p, g, a, b));
    }
}
