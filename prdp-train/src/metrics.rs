//! Normalised errors of batched predictions.

use std::ops::Range;

use prdp_core::Real;

/// Errors of `count` predictions against references (both sample-major, `count · n` values),
/// restricted to the entries `within` of each sample (e.g. one channel):
/// returns (mean ‖p − r‖²/‖r‖², mean ‖p − r‖/‖r‖), accumulated in f64. A zero reference
/// contributes ‖p‖² (and ‖p‖) unnormalised.
///
/// # Panics
/// If the slices do not hold `count` samples of equal length or `within` exceeds a sample.
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
        let (p, r) = (&pred[s * n..(s + 1) * n], &reference[s * n..(s + 1) * n]);
        let (mut e2, mut r2) = (0.0f64, 0.0f64);
        for i in within.clone() {
            let (pi, ri) = (p[i].as_f64(), r[i].as_f64());
            e2 += (pi - ri) * (pi - ri);
            r2 += ri * ri;
        }
        let ratio = if r2 > 0.0 { e2 / r2 } else { e2 };
        nmse += ratio;
        nrmse += ratio.sqrt();
    }
    (nmse / count as f64, nrmse / count as f64)
}
