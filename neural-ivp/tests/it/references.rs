//! Finite-difference references and the problems' coefficients.

use neural_ivp::problems::{Heat2d, Ivp, Wave3d, WaveMaps};
use neural_ivp::reference::{Fd2d, Fd2dKind, Wave3dFd, integrate, interior_grid, relative_l2};

/// The FD heat solver converges to the free-space heat kernel (second order in h).
#[test]
fn fd_heat_matches_heat_kernel() {
    let problem = Heat2d {
        nu: 0.05,
        sigma: 0.15,
    };
    let err = |n: usize| {
        let grid = interior_grid(n, 2);
        let mut u0 = vec![0.0; n * n];
        let mut exact = vec![0.0; n * n];
        for ((x, u), e) in grid
            .chunks_exact(2)
            .zip(u0.iter_mut())
            .zip(exact.iter_mut())
        {
            problem.initial(x, std::slice::from_mut(u));
            problem.exact(0.1, x, std::slice::from_mut(e));
        }
        let mut fd = Fd2d {
            n,
            kind: Fd2dKind::Heat { nu: 0.05 },
        };
        let sol = integrate(&mut fd, u0, &[0.1], 1e-8).unwrap();
        relative_l2(&sol[0], &exact)
    };
    let (e1, e2) = (err(39), err(79));
    assert!(e2 < 2e-3, "{e2}");
    assert!(e1 / e2 > 3.0, "{e1} {e2}");
}

/// The FD wave solver follows the exact source-free outgoing wave away from the origin.
#[test]
fn fd_wave3d_matches_exact_solution() {
    let n = 60;
    let grid = interior_grid(n, 3);
    let n3 = n * n * n;
    let mut y0 = vec![0.0; 2 * n3];
    let problem = Wave3d::default();
    let mut u = [0.0; 2];
    for (i, x) in grid.chunks_exact(3).enumerate() {
        problem.initial(x, &mut u);
        y0[i] = u[0];
        y0[n3 + i] = u[1];
    }
    let t = 0.3;
    let sol = integrate(&mut Wave3dFd { n }, y0, &[t], 1e-6).unwrap();
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for (i, x) in grid.chunks_exact(3).enumerate() {
        let r = (x[0] * x[0] + x[1] * x[1] + x[2] * x[2]).sqrt();
        if r > 0.2 {
            problem.exact(t, x, &mut u);
            a.push(sol[0][i]);
            b.push(u[0]);
        }
    }
    let e = relative_l2(&a, &b);
    assert!(e < 0.35, "{e}");
}

/// Contracted Christoffel symbols Γ^i = g^{ab}Γ^i_ab of the Schwarzschild metric in these
/// coordinates, by finite differences of the metric, equal r_s(x − c)_i/r³ (and Γ^0 = 0), which
/// the wave-maps operator uses.
#[test]
fn schwarzschild_christoffel_contraction() {
    let wm = WaveMaps::default();
    let metric = |x: [f64; 3]| -> [[f64; 3]; 3] {
        let y = [x[0] - wm.center_x, x[1], x[2]];
        let r = (y[0] * y[0] + y[1] * y[1] + y[2] * y[2]).sqrt();
        let a = wm.rs / (r - wm.rs);
        let mut g = [[0.0; 3]; 3];
        for i in 0..3 {
            for j in 0..3 {
                g[i][j] = if i == j { 1.0 } else { 0.0 } + a * y[i] * y[j] / (r * r);
            }
        }
        g
    };
    let g00 = |x: [f64; 3]| {
        let r = ((x[0] - wm.center_x).powi(2) + x[1] * x[1] + x[2] * x[2]).sqrt();
        -(1.0 - wm.rs / r)
    };
    for x in [[0.3, -0.2, 0.5], [-0.5, 0.4, -0.1], [0.9, 0.9, 0.9]] {
        let h = 1e-5;
        let dg = |k: usize| {
            let (mut xp, mut xm) = (x, x);
            xp[k] += h;
            xm[k] -= h;
            let (gp, gm) = (metric(xp), metric(xm));
            let mut d = [[0.0; 3]; 3];
            for i in 0..3 {
                for j in 0..3 {
                    d[i][j] = (gp[i][j] - gm[i][j]) / (2.0 * h);
                }
            }
            (d, (g00(xp) - g00(xm)) / (2.0 * h))
        };
        let derivs: Vec<_> = (0..3).map(dg).collect();
        let (lapse, q, n, _) = wm.coefficients(&x);
        let mut ginv = [[0.0; 3]; 3];
        for i in 0..3 {
            for j in 0..3 {
                ginv[i][j] = if i == j { 1.0 } else { 0.0 } - q * n[i] * n[j];
            }
        }
        let ginv00 = -1.0 / lapse;
        for i in 0..3 {
            // g^{00}Γ^i_00 + g^{jk}Γ^i_jk with Γ^i_00 = −½g^{il}∂_l g_00
            let mut gamma = 0.0;
            for l in 0..3 {
                gamma += ginv00 * (-0.5 * ginv[i][l] * derivs[l].1);
            }
            for j in 0..3 {
                for k in 0..3 {
                    for l in 0..3 {
                        let c = derivs[j].0[k][l] + derivs[k].0[j][l] - derivs[l].0[j][k];
                        gamma += ginv[j][k] * 0.5 * ginv[i][l] * c;
                    }
                }
            }
            let y = [x[0] - wm.center_x, x[1], x[2]];
            let r = (y[0] * y[0] + y[1] * y[1] + y[2] * y[2]).sqrt();
            let closed = wm.rs * y[i] / (r * r * r);
            assert!(
                (gamma - closed).abs() < 1e-7,
                "Γ^{i} at {x:?}: {gamma} vs {closed}"
            );
        }
    }
}
