//! Element-wise activation functions and their derivatives.

use prdp_core::Real;
use serde::{Deserialize, Serialize};

/// An element-wise nonlinearity.
///
/// # Example
/// ```
/// use prdp_nn::Activation;
/// assert_eq!(Activation::Relu.eval(-2.0f64), 0.0);
/// assert!((Activation::Tanh.eval(1.0f64) - 1.0f64.tanh()).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// max(x, 0).
    #[default]
    Relu,
    /// x·σ(x) (also called SiLU).
    #[serde(alias = "silu")]
    Swish,
    /// tanh(x).
    Tanh,
    /// The tanh approximation of GELU, ½x(1 + tanh(√(2/π)(x + 0.044715x³))), which is the default
    /// of `jax.nn.gelu`.
    Gelu,
}

const GELU_C: f64 = 0.797_884_560_802_865_4; // √(2/π)
const GELU_A: f64 = 0.044_715;

impl Activation {
    /// f(x).
    #[inline]
    pub fn eval<T: Real>(self, x: T) -> T {
        match self {
            Self::Relu => x.max(T::zero()),
            Self::Swish => x * sigmoid(x),
            Self::Tanh => x.tanh(),
            Self::Gelu => {
                let inner = T::of(GELU_C) * (x + T::of(GELU_A) * x * x * x);
                T::of(0.5) * x * (T::one() + inner.tanh())
            }
        }
    }

    /// f′ at the point whose input is `x` and output is `y = f(x)`.
    #[inline]
    pub fn derivative<T: Real>(self, x: T, y: T) -> T {
        match self {
            Self::Relu => {
                if y > T::zero() {
                    T::one()
                } else {
                    T::zero()
                }
            }
            Self::Tanh => T::one() - y * y,
            Self::Swish => {
                let s = sigmoid(x);
                s * (T::one() + x * (T::one() - s))
            }
            Self::Gelu => {
                let x2 = x * x;
                let t = (T::of(GELU_C) * (x + T::of(GELU_A) * x2 * x)).tanh();
                let dinner = T::of(GELU_C) * (T::one() + T::of(3.0 * GELU_A) * x2);
                T::of(0.5) * (T::one() + t) + T::of(0.5) * x * (T::one() - t * t) * dinner
            }
        }
    }

    /// Whether f′ can be computed from the output alone (ReLU, tanh), so the activation may
    /// overwrite its input.
    pub(crate) fn derivative_from_output(self) -> bool {
        matches!(self, Self::Relu | Self::Tanh)
    }

    /// y ← f(x).
    pub(crate) fn forward<T: Real>(self, x: &[T], y: &mut [T]) {
        assert_eq!(
            x.len(),
            y.len(),
            "activation: input {} vs output {}",
            x.len(),
            y.len()
        );
        match self {
            Self::Relu => {
                for (yi, &xi) in y.iter_mut().zip(x) {
                    *yi = xi.max(T::zero());
                }
            }
            _ => {
                for (yi, &xi) in y.iter_mut().zip(x) {
                    *yi = self.eval(xi);
                }
            }
        }
    }

    /// x ← f(x).
    pub(crate) fn forward_in_place<T: Real>(self, x: &mut [T]) {
        match self {
            Self::Relu => {
                for xi in x.iter_mut() {
                    *xi = xi.max(T::zero());
                }
            }
            _ => {
                for xi in x.iter_mut() {
                    *xi = self.eval(*xi);
                }
            }
        }
    }

    /// g ← g ⊙ f′, where `saved` holds the outputs if [`Self::derivative_from_output`], else the
    /// inputs.
    pub(crate) fn backward<T: Real>(self, saved: &[T], g: &mut [T]) {
        assert_eq!(
            saved.len(),
            g.len(),
            "activation backward: saved {} vs gradient {}",
            saved.len(),
            g.len()
        );
        match self {
            Self::Relu => {
                for (gi, &yi) in g.iter_mut().zip(saved) {
                    if yi <= T::zero() {
                        *gi = T::zero();
                    }
                }
            }
            Self::Tanh => {
                for (gi, &yi) in g.iter_mut().zip(saved) {
                    *gi *= T::one() - yi * yi;
                }
            }
            Self::Swish | Self::Gelu => {
                for (gi, &xi) in g.iter_mut().zip(saved) {
                    *gi *= self.derivative(xi, T::zero());
                }
            }
        }
    }
}

#[inline(always)]
fn sigmoid<T: Real>(x: T) -> T {
    T::one() / (T::one() + (-x).exp())
}
