//! Normalised errors of batched predictions.

use std::ops::Range;

use prdp_core::Real;

use crate::Validation;

/// Errors of `count` predictions against references (both sample-major, `count · n` values),
/// restricted to the entries `within` of each sample (e.g. one channel):
/// returns (mean ‖p − r‖²/‖r‖², mean ‖p − r‖/‖r‖), accumulated in f64. A zero reference
/// contributes ‖p‖² (and ‖p‖) unnormalised.
///
/// # Panics
/// If the slices do not hold `count` samples of equal length or `within` exceeds a sample.
///
/// # Reference
/// PRDP paper, appendix F, eq. 56: the validation error is the first value, at the rollout
/// step of the experiment, over the validation set.
pub fn normalized_errors<T: Real>(
    pred: &[T],
    reference: &[T],
    count: usize,
    within: Range<usize>,
) -> (f64, f64) {
    assert!(
        count > 0 && pred.len() == reference.len() && pred.len().is_multiple_of(count),
        "normalized_errors: {} predictions and {} references for {count} samples",
        pred.len(),
        reference.len()
    );
    let n = pred.len() / count;
    assert!(
        within.end <= n,
        "normalized_errors: range {within:?} exceeds a sample of {n} values"
    );
    let (mut nmse, mut nrmse) = (0.0, 0.0);
    for s in 0..count {
        let samples = s * n..(s + 1) * n;
        let ratio = squared_ratio(&pred[samples.clone()], &reference[samples], within.clone());
        nmse += ratio;
        nrmse += ratio.sqrt();
    }
    (nmse / count as f64, nrmse / count as f64)
}

/// ‖p − r‖²/‖r‖² over the entries `within` of one sample, accumulated in f64 (‖p − r‖² for a
/// zero reference).
pub(crate) fn squared_ratio<T: Real>(p: &[T], r: &[T], within: Range<usize>) -> f64 {
    let (mut e2, mut r2) = (0.0f64, 0.0f64);
    for i in within {
        let (pi, ri) = (p[i].as_f64(), r[i].as_f64());
        e2 += (pi - ri) * (pi - ri);
        r2 += ri * ri;
    }
    if r2 > 0.0 { e2 / r2 } else { e2 }
}

/// The validation of a rollout from per-sample squared ratios (`[sample][step]`, as
/// [`squared_ratio`] computes them): the means over the samples at each step, in sample order
/// (the sums [`normalized_errors`] forms), and the metric at `validation_step`.
pub(crate) fn rollout_validation(
    ratios: &[f64],
    steps: usize,
    validation_step: usize,
) -> Validation {
    let count = ratios.len() / steps;
    let mut out = Validation::default();
    for t in 0..steps {
        let (mut nmse, mut nrmse) = (0.0, 0.0);
        for s in 0..count {
            let ratio = ratios[s * steps + t];
            nmse += ratio;
            nrmse += ratio.sqrt();
        }
        out.nmse_per_step.push(nmse / count as f64);
        out.nrmse_per_step.push(nrmse / count as f64);
    }
    out.metric = out.nmse_per_step[validation_step - 1];
    out
}
