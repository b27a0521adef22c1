use prdp_core::kernels;
use proptest::prelude::*;

fn naive_dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn lane_norms_equal_per_vector_dot_bit_for_bit(n in 0usize..140, lanes in 1usize..40, seed in 0u32..1000) {
        // Lengths cross the 32-wide and 8-wide blocks of `dot`; values span magnitudes so that
        // a different summation order would change the last bits.
        let x: Vec<f32> = (0..n * lanes)
            .map(|i| ((i as f32 + seed as f32) * 0.731).sin() * 10f32.powi((i % 7) as i32 - 3))
            .collect();
        let mut il = vec![0.0; x.len()];
        prdp_core::interleave(&x, &mut il, lanes);
        let mut out = vec![0.0; lanes];
        kernels::lane_norms2(&il, lanes, &mut out);
        for s in 0..lanes {
            let xs = &x[s * n..(s + 1) * n];
            prop_assert_eq!(out[s].to_bits(), kernels::dot(xs, xs).to_bits(), "lane {} of {}, n = {}", s, lanes, n);
        }
        let mut back = vec![0.0; x.len()];
        prdp_core::deinterleave(&il, &mut back, lanes);
        prop_assert_eq!(back, x);
    }

    #[test]
    fn dot_matches_naive_sum(v in prop::collection::vec((-1.0f64..1.0, -1.0f64..1.0), 0..200)) {
        let (a, b): (Vec<f64>, Vec<f64>) = v.into_iter().unzip();
        let d = kernels::dot(&a, &b);
        prop_assert!((d - naive_dot(&a, &b)).abs() <= 1e-13 * (1.0 + a.len() as f64));
        prop_assert!((kernels::nrm2(&a) - naive_dot(&a, &a).sqrt()).abs() <= 1e-13 * (1.0 + a.len() as f64));
        prop_assert!((kernels::sum(&a) - a.iter().sum::<f64>()).abs() <= 1e-13 * (1.0 + a.len() as f64));
    }

    #[test]
    fn f32_dot_is_accurate(v in prop::collection::vec((-1.0f32..1.0, -1.0f32..1.0), 1..300)) {
        let (a, b): (Vec<f32>, Vec<f32>) = v.into_iter().unzip();
        let exact: f64 = a.iter().zip(&b).map(|(x, y)| f64::from(*x) * f64::from(*y)).sum();
        let bound: f64 = a.iter().zip(&b).map(|(x, y)| f64::from((x * y).abs())).sum();
        let d = f64::from(kernels::dot(&a, &b));
        prop_assert!((d - exact).abs() <= 1e-6 * bound + 1e-30, "{d} vs {exact}");
    }

    #[test]
    fn elementwise_kernels(v in prop::collection::vec((-1.0f64..1.0, -1.0f64..1.0), 0..100), a in -2.0f64..2.0, b in -2.0f64..2.0) {
        let (x, y0): (Vec<f64>, Vec<f64>) = v.into_iter().unzip();
        let mut y = y0.clone();
        kernels::axpy(a, &x, &mut y);
        for i in 0..x.len() { prop_assert!((y[i] - (y0[i] + a * x[i])).abs() < 1e-14); }
        let mut y = y0.clone();
        kernels::axpby(a, &x, b, &mut y);
        for i in 0..x.len() { prop_assert!((y[i] - (a * x[i] + b * y0[i])).abs() < 1e-14); }
        let mut y = y0.clone();
        kernels::xpby(&x, b, &mut y);
        for i in 0..x.len() { prop_assert!((y[i] - (x[i] + b * y0[i])).abs() < 1e-14); }
        let mut y = y0.clone();
        kernels::scale(a, &mut y);
        for i in 0..x.len() { prop_assert!((y[i] - a * y0[i]).abs() < 1e-15); }
        let mut z = vec![0.0; x.len()];
        kernels::copy_scaled(a, &x, &mut z);
        for i in 0..x.len() { prop_assert!((z[i] - a * x[i]).abs() < 1e-15); }
        kernels::sub(&x, &y0, &mut z);
        for i in 0..x.len() { prop_assert_eq!(z[i], x[i] - y0[i]); }
        kernels::mul(&x, &y0, &mut z);
        for i in 0..x.len() { prop_assert_eq!(z[i], x[i] * y0[i]); }
        let mut w = vec![0.0f32; x.len()];
        kernels::convert(&x, &mut w);
        for i in 0..x.len() { prop_assert_eq!(w[i], x[i] as f32); }
    }
}

#[test]
#[should_panic(expected = "dot: slices differ in length (3 vs 2)")]
fn dot_rejects_mismatched_lengths() {
    kernels::dot(&[1.0, 2.0, 3.0], &[1.0, 2.0]);
}
