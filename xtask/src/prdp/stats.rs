//! Means and standard deviations over seeds.

/// Mean and (population) standard deviation; NaN for an empty slice.
pub fn mean_std(v: &[f64]) -> (f64, f64) {
    if v.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    (mean, var.sqrt())
}

/// Column-wise mean and standard deviation of equally long series.
pub fn band(series: &[Vec<f64>]) -> (Vec<f64>, Vec<f64>) {
    let len = series.iter().map(Vec::len).min().unwrap_or(0);
    (0..len)
        .map(|i| mean_std(&series.iter().map(|s| s[i]).collect::<Vec<_>>()))
        .unzip()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_std() {
        assert_eq!(mean_std(&[1.0, 3.0]), (2.0, 1.0));
        let (m, s) = band(&[vec![1.0, 2.0], vec![3.0, 2.0, 9.0]]);
        assert_eq!(m, vec![2.0, 2.0]);
        assert_eq!(s, vec![1.0, 0.0]);
        assert!(mean_std(&[]).0.is_nan());
    }
}
