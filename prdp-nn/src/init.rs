//! Seeded parameter initialisation.

use prdp_core::Real;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::view::{ParamKind, ParamView};

/// How weights and biases are drawn. `fan_in` is the number of inputs of one output unit (the
/// input features of a dense layer, input channels × kernel taps of a convolution) and `fan_out`
/// the number of outputs fed by one input unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Init {
    /// Weights and biases uniform in ±1/√fan_in: the default of Equinox (`eqx.nn.Linear`,
    /// `eqx.nn.Conv`) and PyTorch.
    #[default]
    Uniform,
    /// He/Kaiming normal: weights N(0, 2/fan_in), biases zero.
    KaimingNormal,
    /// He/Kaiming uniform: weights uniform in ±√(6/fan_in), biases zero.
    KaimingUniform,
    /// Glorot/Xavier normal: weights N(0, 2/(fan_in + fan_out)), biases zero.
    XavierNormal,
    /// Glorot/Xavier uniform: weights uniform in ±√(6/(fan_in + fan_out)), biases zero.
    XavierUniform,
    /// Weights N(0, 1/fan_in) truncated at two standard deviations (redrawn beyond), biases
    /// zero: Haiku's default for `hk.Linear`, used by the Neural IVP reference code.
    TruncatedNormal,
}

impl Init {
    /// Fills the entries of `view` in `params`, drawing from `rng` in `f64` and rounding to `T`
    /// (so `f32` parameters are the rounded `f64` ones of the same seed).
    pub(crate) fn fill<T: Real>(self, view: &ParamView, rng: &mut ChaCha8Rng, params: &mut [T]) {
        let out = &mut params[view.range()];
        let fan_in = view.fan_in as f64;
        let fan_sum = (view.fan_in + view.fan_out) as f64;
        let is_bias = view.kind == ParamKind::Bias;
        match self {
            Self::Uniform => uniform(out, 1.0 / fan_in.sqrt(), rng),
            _ if is_bias => out.fill(T::zero()),
            Self::KaimingNormal => normal(out, (2.0 / fan_in).sqrt(), rng),
            Self::KaimingUniform => uniform(out, (6.0 / fan_in).sqrt(), rng),
            Self::XavierNormal => normal(out, (2.0 / fan_sum).sqrt(), rng),
            Self::XavierUniform => uniform(out, (6.0 / fan_sum).sqrt(), rng),
            Self::TruncatedNormal => truncated_normal(out, 1.0 / fan_in.sqrt(), rng),
        }
    }
}

fn uniform<T: Real>(out: &mut [T], limit: f64, rng: &mut ChaCha8Rng) {
    for x in out {
        *x = T::of(rng.random_range(-limit..limit));
    }
}

fn normal<T: Real>(out: &mut [T], std: f64, rng: &mut ChaCha8Rng) {
    for x in out {
        let z: f64 = StandardNormal.sample(rng);
        *x = T::of(std * z);
    }
}

/// N(0, std²) truncated at ±2 std by redrawing.
fn truncated_normal<T: Real>(out: &mut [T], std: f64, rng: &mut ChaCha8Rng) {
    for x in out {
        let z = loop {
            let z: f64 = StandardNormal.sample(rng);
            if z.abs() <= 2.0 {
                break z;
            }
        };
        *x = T::of(std * z);
    }
}
