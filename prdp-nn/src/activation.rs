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

impl Activation {
    /// f(x), f′(x) and f″(x) in `f64`: what forward-mode jets to second order need (Neural
    /// IVP's input derivatives). The exponentials are [`fast_exp`] (a few ulp, branch-free), so
    /// that loops over these vectorise; `f` agrees with [`Activation::eval`] to about 1e-15
    /// relative.
    #[inline(always)]
    pub fn jet(self, x: f64) -> (f64, f64, f64) {
        match self {
            Self::Swish => swish_jet(x),
            Self::Tanh => tanh_jet(x),
            Self::Relu => {
                let step = f64::from(u8::from(x > 0.0));
                (x * step, step, 0.0)
            }
            Self::Gelu => {
                let x2 = x * x;
                let (t, dt, _) = tanh_jet(GELU_C * (x + GELU_A * x2 * x));
                let du = GELU_C * (1.0 + 3.0 * GELU_A * x2);
                let ddu = 6.0 * GELU_A * GELU_C * x;
                (
                    0.5 * x * (1.0 + t),
                    0.5 * (1.0 + t) + 0.5 * x * dt * du,
                    dt * du + 0.5 * x * dt * (ddu - 2.0 * t * du * du),
                )
            }
        }
    }

    /// z ← f(z) and d ← f′(z) element-wise, by [`Activation::jet`] (the forward pass of a
    /// hidden layer whose tangents follow).
    ///
    /// # Panics
    /// If the slices differ in length.
    pub fn forward_with_derivative(self, z: &mut [f64], d: &mut [f64]) {
        assert_eq!(z.len(), d.len(), "activation: values vs derivatives");
        // One loop per variant, so that each vectorises.
        match self {
            Self::Swish => apply_jet(z, d, swish_jet),
            Self::Tanh => apply_jet(z, d, tanh_jet),
            Self::Relu => apply_jet(z, d, |x| Self::Relu.jet(x)),
            Self::Gelu => apply_jet(z, d, |x| Self::Gelu.jet(x)),
        }
    }
}

#[inline(always)]
fn apply_jet(z: &mut [f64], d: &mut [f64], f: impl Fn(f64) -> (f64, f64, f64)) {
    for (zi, di) in z.iter_mut().zip(d.iter_mut()) {
        let (v, d1, _) = f(*zi);
        *zi = v;
        *di = d1;
    }
}

#[inline(always)]
fn swish_jet(z: f64) -> (f64, f64, f64) {
    let s = 1.0 / (1.0 + fast_exp(-z));
    let sp = s * (1.0 - s);
    (z * s, s + z * sp, sp * (2.0 + z * (1.0 - 2.0 * s)))
}

#[inline(always)]
fn tanh_jet(z: f64) -> (f64, f64, f64) {
    let t = 1.0 - 2.0 / (fast_exp(2.0 * z.clamp(-20.0, 20.0)) + 1.0);
    let d = 1.0 - t * t;
    (t, d, -2.0 * t * d)
}

/// eˣ to a few ulp without branches (so activation loops vectorise): x = n·ln2 + r with
/// |r| ≤ ln2/2, a degree-13 Taylor polynomial of eʳ, and 2ⁿ assembled from its bits; x is
/// clamped to [−708, 708].
///
/// # Example
/// ```
/// let x = 3.7f64;
/// assert!((prdp_nn::fast_exp(x) - x.exp()).abs() < 4e-16 * x.exp());
/// ```
#[inline(always)]
pub fn fast_exp(x: f64) -> f64 {
    const LOG2E: f64 = std::f64::consts::LOG2_E;
    const LN2_HI: f64 = 0.693_147_180_369_123_8;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    const ROUND: f64 = 6_755_399_441_055_744.0;
    let x = x.clamp(-708.0, 708.0);
    let n = (x * LOG2E + ROUND) - ROUND;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    let mut p: f64 = 1.0 / 6_227_020_800.0;
    for c in [
        1.0 / 479_001_600.0,
        1.0 / 39_916_800.0,
        1.0 / 3_628_800.0,
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
        1.0,
        1.0,
    ] {
        p = p.mul_add(r, c);
    }
    let bits = ((n as i64 + 1023) as u64) << 52;
    p * f64::from_bits(bits)
}

#[inline(always)]
fn sigmoid<T: Real>(x: T) -> T {
    T::one() / (T::one() + (-x).exp())
}

#[cfg(test)]
mod tests {
    use super::{Activation, fast_exp};

    const ALL: [Activation; 4] = [
        Activation::Relu,
        Activation::Swish,
        Activation::Tanh,
        Activation::Gelu,
    ];

    #[test]
    fn fast_exp_is_accurate() {
        let mut worst = 0.0f64;
        let mut x = -700.0;
        while x < 700.0 {
            let rel = (fast_exp(x) - x.exp()).abs() / x.exp();
            worst = worst.max(rel);
            x += 0.0137;
        }
        assert!(worst < 4e-16, "{worst}");
        assert_eq!(fast_exp(0.0), 1.0);
    }

    /// The jet's value is `eval`, its first derivative `derivative`, and its second derivative
    /// the central difference of `derivative`.
    #[test]
    fn jets_match_values_and_central_differences() {
        let h = 1e-5;
        for act in ALL {
            for i in 0..400 {
                let x = -6.0 + 12.0 * (i as f64 + 0.5) / 400.0;
                let (v, d1, d2) = act.jet(x);
                let scale = 1.0 + v.abs();
                assert!((v - act.eval(x)).abs() < 1e-14 * scale, "{act:?} f({x})");
                let d = act.derivative(x, act.eval(x));
                assert!((d1 - d).abs() < 1e-13 * (1.0 + d.abs()), "{act:?} f'({x})");
                if act == Activation::Relu && x.abs() < 2.0 * h {
                    continue;
                }
                let fd = (act.derivative(x + h, act.eval(x + h))
                    - act.derivative(x - h, act.eval(x - h)))
                    / (2.0 * h);
                assert!(
                    (d2 - fd).abs() < 1e-8 * (1.0 + fd.abs()),
                    "{act:?} f''({x}): {d2} vs {fd}"
                );
            }
        }
    }

    #[test]
    fn forward_with_derivative_is_the_jet() {
        for act in ALL {
            let mut z: Vec<f64> = (0..37).map(|i| -3.0 + 0.17 * i as f64).collect();
            let x = z.clone();
            let mut d = vec![0.0; z.len()];
            act.forward_with_derivative(&mut z, &mut d);
            for ((&xi, &zi), &di) in x.iter().zip(&z).zip(&d) {
                let (v, d1, _) = act.jet(xi);
                assert_eq!((zi, di), (v, d1));
            }
        }
    }
}
