//! Inner products, norms and distances, summed in index order.

/// ⟨a, b⟩.
///
/// # Panics
/// If the lengths differ.
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "dot of vectors of different lengths");
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// ⟨a, b⟩ and Σ|aᵢbᵢ|, the scale of its rounding error.
pub fn dot_and_scale(a: &[f64], b: &[f64]) -> (f64, f64) {
    (dot(a, b), a.iter().zip(b).map(|(x, y)| (x * y).abs()).sum())
}

/// ‖a‖₂.
pub fn norm(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

/// maxᵢ |aᵢ − bᵢ|.
pub fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(
        a.len(),
        b.len(),
        "difference of vectors of different lengths"
    );
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// ‖x − y‖₂ / ‖y‖₂ (the denominator floored at 1e-300).
pub fn rel_err(x: &[f64], y: &[f64]) -> f64 {
    assert_eq!(
        x.len(),
        y.len(),
        "difference of vectors of different lengths"
    );
    let num: f64 = x
        .iter()
        .zip(y)
        .map(|(a, b)| (a - b).powi(2))
        .sum::<f64>()
        .sqrt();
    num / norm(y).max(1e-300)
}
