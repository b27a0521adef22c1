//! Losses with gradients: mean squared error and the normalised MSE of the PRDP paper.

use prdp_core::Real;
use serde::{Deserialize, Serialize};

use crate::error::{NnError, Result, check_len};

/// A training or validation loss over a batch of predictions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Loss {
    /// [`mse`]: the mean of (ŷ − y)² over every entry of the batch.
    Mse,
    /// [`nmse`]: per sample ‖ŷ − y‖² / ‖y‖², averaged over the batch.
    #[default]
    Nmse,
}

impl Loss {
    /// Evaluates the loss of `pred` against `target` (both `[batch, …]`), writing ∂loss/∂pred to
    /// `grad` if given.
    ///
    /// # Errors
    /// As [`mse`] and [`nmse`].
    pub fn eval<T: Real>(
        self,
        pred: &[T],
        target: &[T],
        batch: usize,
        grad: Option<&mut [T]>,
    ) -> Result<T> {
        match self {
            Self::Mse => mse(pred, target, grad),
            Self::Nmse => nmse(pred, target, batch, grad),
        }
    }
}

/// Mean squared error (1/n) Σ (ŷᵢ − yᵢ)² over all n entries; writes ∂/∂ŷ = 2(ŷ − y)/n to
/// `grad` if given.
///
/// # Errors
/// [`NnError::Length`] if the slices differ in length; [`NnError::InvalidValue`] if they are
/// empty.
///
/// # Example
/// ```
/// let mut g = [0.0; 2];
/// let l = prdp_nn::mse(&[1.0, 3.0], &[0.0, 1.0], Some(&mut g))?;
/// assert_eq!(l, 2.5);
/// assert_eq!(g, [1.0, 2.0]);
/// # Ok::<(), prdp_nn::NnError>(())
/// ```
pub fn mse<T: Real>(pred: &[T], target: &[T], grad: Option<&mut [T]>) -> Result<T> {
    check_len("target", pred.len(), target.len())?;
    if pred.is_empty() {
        return Err(NnError::InvalidValue {
            what: "mse".into(),
            detail: "empty prediction".into(),
        });
    }
    let n = T::of_usize(pred.len());
    if let Some(g) = grad {
        check_len("loss gradient", pred.len(), g.len())?;
        let scale = T::of(2.0) / n;
        for ((gi, &p), &t) in g.iter_mut().zip(pred).zip(target) {
            *gi = scale * (p - t);
        }
    }
    Ok(squared_distance(pred, target) / n)
}

/// Normalised mean squared error (1/B) Σ_b ‖ŷ_b − y_b‖² / ‖y_b‖² over the `batch` samples of
/// `pred` and `target` (`[batch, …]`): the training and validation measure of the PRDP paper.
/// Writes ∂/∂ŷ_b = 2(ŷ_b − y_b)/(B‖y_b‖²) to `grad` if given.
///
/// # Errors
/// [`NnError::Length`] if the lengths disagree with each other or with `batch`;
/// [`NnError::InvalidValue`] if `batch` is zero or a target sample has zero norm (naming it).
///
/// # Example
/// ```
/// // Sample 0 is off by 10 % of its norm, sample 1 is exact.
/// let l: f64 = prdp_nn::nmse(&[1.1, 0.0, 2.0, 2.0], &[1.0, 0.0, 2.0, 2.0], 2, None)?;
/// assert!((l - 0.005).abs() < 1e-12);
/// # Ok::<(), prdp_nn::NnError>(())
/// ```
pub fn nmse<T: Real>(pred: &[T], target: &[T], batch: usize, grad: Option<&mut [T]>) -> Result<T> {
    check_len("target", pred.len(), target.len())?;
    if batch == 0 || pred.is_empty() {
        return Err(NnError::InvalidValue {
            what: "nmse".into(),
            detail: "empty batch".into(),
        });
    }
    let per = pred.len() / batch;
    check_len("prediction (batch × sample size)", batch * per, pred.len())?;
    let b = T::of_usize(batch);
    let mut total = T::zero();
    let mut grad = grad;
    if let Some(g) = &grad {
        check_len("loss gradient", pred.len(), g.len())?;
    }
    for (s, (p, t)) in pred
        .chunks_exact(per)
        .zip(target.chunks_exact(per))
        .enumerate()
    {
        let norm = prdp_core::kernels::dot(t, t);
        if !(norm > T::zero() && norm.is_finite()) {
            return Err(NnError::InvalidValue {
                what: format!("nmse target sample {s}"),
                detail: format!("squared norm is {norm}, must be positive and finite"),
            });
        }
        total += squared_distance(p, t) / norm;
        if let Some(g) = grad.as_deref_mut() {
            let scale = T::of(2.0) / (b * norm);
            for ((gi, &pi), &ti) in g[s * per..(s + 1) * per].iter_mut().zip(p).zip(t) {
                *gi = scale * (pi - ti);
            }
        }
    }
    Ok(total / b)
}

/// Σ (aᵢ − bᵢ)² with eight partial sums.
fn squared_distance<T: Real>(a: &[T], b: &[T]) -> T {
    let mut acc = [T::zero(); 8];
    let (ac, bc) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ar, br) = (ac.remainder(), bc.remainder());
    for (x, y) in ac.zip(bc) {
        for l in 0..8 {
            let d = x[l] - y[l];
            acc[l] = d.mul_add(d, acc[l]);
        }
    }
    for (l, (&x, &y)) in ar.iter().zip(br).enumerate() {
        let d = x - y;
        acc[l] = d.mul_add(d, acc[l]);
    }
    acc.iter().copied().sum()
}
