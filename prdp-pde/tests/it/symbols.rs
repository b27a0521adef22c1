//! Discrete operators against their analytic Fourier symbols and eigenvalues.

use core::f64::consts::PI;

use crate::common::*;
use prdp_core::{Boundary, LinearOperator};
use prdp_pde::{Assembly, Heat, HeatConfig, ReferenceStepper, coordinates};

/// Eigenvector of the 1D Laplacian for mode k, and its eigenvalue (times h²: −4 sin²(θ/2)).
fn mode(n: usize, k: usize, b: Boundary) -> (Vec<f64>, f64) {
    let x = coordinates(n, 1.0, b);
    match b {
        Boundary::Periodic => (
            x.iter()
                .map(|&xi| (2.0 * PI * k as f64 * xi).cos())
                .collect(),
            -4.0 * (PI * k as f64 / n as f64).sin().powi(2),
        ),
        Boundary::Dirichlet => (
            x.iter().map(|&xi| (PI * k as f64 * xi).sin()).collect(),
            -4.0 * (PI * k as f64 / (2.0 * (n + 1) as f64)).sin().powi(2),
        ),
    }
}

/// One BTCS step multiplies a separable Fourier mode by 1/(1 − νΔt Σₐ λₐ/hₐ²).
#[test]
fn btcs_amplification_per_mode() {
    for b in [Boundary::Periodic, Boundary::Dirichlet] {
        for dims in [vec![16], vec![12, 10], vec![6, 8, 7]] {
            let config = HeatConfig {
                dims: dims.clone(),
                boundary: b,
                nu: 0.003,
                dt: 0.7,
                length: 1.0,
            };
            let heat = Heat::<f64>::new(config).unwrap();
            let p = ReferenceStepper::new(heat.clone()).unwrap();
            for k in 1..4 {
                let modes: Vec<(Vec<f64>, f64)> = dims.iter().map(|&n| mode(n, k, b)).collect();
                let mut u0 = vec![1.0];
                let mut sym = 0.0;
                for ((v, lam), &n) in modes.iter().zip(&dims) {
                    u0 = u0
                        .iter()
                        .flat_map(|a| v.iter().map(move |c| a * c))
                        .collect();
                    let h = prdp_pde::spacing(n, 1.0, b);
                    sym += lam / (h * h);
                }
                let g = 1.0 / (1.0 - 0.003 * 0.7 * sym);
                let mut u1 = vec![0.0; heat.state_len()];
                p.step(&u0, &mut u1).unwrap();
                let want: Vec<f64> = u0.iter().map(|v| g * v).collect();
                assert!(
                    max_abs_diff(&u1, &want) < 1e-12,
                    "{b:?} {dims:?} k={k}: amplification {g}"
                );
            }
        }
    }
}

/// Poisson with a sine load: the discrete solution is the load scaled by the inverse
/// eigenvalue, and it converges to the continuous one at second order.
#[test]
fn poisson_sine_solution() {
    let mut errors = Vec::new();
    for n in [15, 31, 63, 127] {
        let p = poisson(n, 1);
        let stepper = ReferenceStepper::new(p.clone()).unwrap();
        let mut u = vec![0.0; n];
        stepper.step(&[2.0], &mut u).unwrap();
        let (s, lam) = mode(n, 2, Boundary::Dirichlet);
        let h = 1.0 / (n + 1) as f64;
        let want: Vec<f64> = s.iter().map(|v| -2.0 * v / (lam / (h * h))).collect();
        assert!(max_abs_diff(&u, &want) < 1e-12);
        errors.push(max_abs_diff(&u, &p.analytic_solution(&[2.0])));
    }
    for w in errors.windows(2) {
        let ratio = w[0] / w[1];
        assert!(
            (3.8..4.2).contains(&ratio),
            "error ratio {ratio} under refinement ({errors:?})"
        );
    }
}

/// (I − A)/(νΔt) = L approximates the Laplacian of a smooth function to second order, for
/// both boundary kinds and in 1D, 2D and 3D.
#[test]
fn laplacians_converge_at_second_order() {
    for dim in 1..=3 {
        let mut errors = Vec::new();
        for n in [24usize, 48, 96] {
            let heat = Heat::<f64>::new(HeatConfig {
                dims: vec![n; dim],
                boundary: Boundary::Periodic,
                nu: 1.0,
                dt: 1.0,
                length: 1.0,
            })
            .unwrap();
            let x = coordinates(n, 1.0, Boundary::Periodic);
            // f = Π sin(2π(a+1)xₐ + a), Δf = −Σ (2π(a+1))² f.
            let total = n.pow(dim as u32);
            let mut f = vec![0.0; total];
            for (p, fp) in f.iter_mut().enumerate() {
                let mut rest = p;
                let mut v = 1.0;
                for a in (0..dim).rev() {
                    let xi = x[rest % n];
                    rest /= n;
                    v *= (2.0 * PI * (a + 1) as f64 * xi + a as f64).sin();
                }
                *fp = v;
            }
            let k2: f64 = (0..dim).map(|a| (2.0 * PI * (a + 1) as f64).powi(2)).sum();
            let mut af = vec![0.0; total];
            heat.stencil().apply(&f, &mut af);
            let lap: Vec<f64> = f.iter().zip(&af).map(|(a, b)| a - b).collect();
            let want: Vec<f64> = f.iter().map(|v| -k2 * v).collect();
            errors.push(max_abs_diff(&lap, &want));
        }
        // Asymptotic order from the two finest grids (24 points are pre-asymptotic for the
        // third mode in 3D).
        let ratio = errors[1] / errors[2];
        assert!(
            (3.8..4.2).contains(&ratio),
            "{dim}D error ratio {ratio} ({errors:?})"
        );
        assert!(errors[0] > errors[1]);
    }
}
