//! Input jets and parameter derivatives.

use neural_ivp::{
    Activation, Derivatives, Forward, JetWorkspace, Jets, Network, NetworkConfig, TangentWorkspace,
    Trunks,
};

use crate::{points, small_net};
use prdp_testing::vector;

fn eval1(net: &Network, theta: &[f64], x: &[f64]) -> Vec<f64> {
    let mut u = vec![0.0; net.outputs()];
    net.eval(theta, x, &mut u).unwrap();
    u
}

/// Jets against central finite differences of the network, for every variant.
#[test]
fn jets_match_finite_differences() {
    for (d, emb, act, bc, trunks) in [
        (3, true, Activation::Swish, true, Trunks::PerOutput),
        (3, true, Activation::Swish, true, Trunks::Shared),
        (2, false, Activation::Tanh, true, Trunks::Shared),
        (4, true, Activation::Tanh, false, Trunks::PerOutput),
    ] {
        let net = small_net(d, 2, emb, act, bc, trunks);
        let theta = vector(5, net.num_params());
        let xs = points(5, d, 9);
        let mut jets = Jets::new();
        net.jets(
            &theta,
            &xs,
            Derivatives::Hessian,
            &mut jets,
            &mut JetWorkspace::new(),
        )
        .unwrap();
        let mut lap_jets = Jets::new();
        net.jets(
            &theta,
            &xs,
            Derivatives::Laplacian,
            &mut lap_jets,
            &mut JetWorkspace::new(),
        )
        .unwrap();
        for (i, x) in xs.chunks_exact(d).enumerate() {
            let pj = jets.point(i);
            let u0 = eval1(&net, &theta, x);
            for (o, &u0o) in u0.iter().enumerate() {
                assert!((pj.value(o) - u0o).abs() < 1e-13);
                let mut lap = 0.0;
                for j in 0..d {
                    let h = 1e-5;
                    let (mut xp, mut xm) = (x.to_vec(), x.to_vec());
                    xp[j] += h;
                    xm[j] -= h;
                    let g = (eval1(&net, &theta, &xp)[o] - eval1(&net, &theta, &xm)[o]) / (2.0 * h);
                    assert!(
                        (pj.grad(o)[j] - g).abs() < 1e-8 * (1.0 + g.abs()),
                        "grad {j}: {} vs {g}",
                        pj.grad(o)[j]
                    );
                    for k in 0..d {
                        let h = 1e-4;
                        let f = |sj: f64, sk: f64| {
                            let mut y = x.to_vec();
                            y[j] += sj * h;
                            y[k] += sk * h;
                            eval1(&net, &theta, &y)[o]
                        };
                        let fd = (f(1.0, 1.0) - f(1.0, -1.0) - f(-1.0, 1.0) + f(-1.0, -1.0))
                            / (4.0 * h * h);
                        let hv = pj.hessian(o, j, k);
                        assert!(
                            (hv - fd).abs() < 2e-5 * (1.0 + fd.abs()),
                            "hess ({j},{k}): {hv} vs {fd}"
                        );
                    }
                    lap += pj.hessian(o, j, j);
                }
                assert!((pj.laplacian(o) - lap).abs() < 1e-11 * (1.0 + lap.abs()));
                assert!((lap_jets.point(i).laplacian(o) - lap).abs() < 1e-11 * (1.0 + lap.abs()));
            }
        }
    }
}

/// Laplacian through a fixed one-unit tanh network against its closed form, with and without
/// the Dirichlet factor: g = v·tanh(aᵀx + c) + b, u = B·g.
#[test]
fn laplacian_matches_closed_form() {
    for dirichlet in [false, true] {
        let cfg = NetworkConfig {
            width: 1,
            depth: 1,
            embedding: None,
            activation: Activation::Tanh,
            dirichlet,
            trunks: Trunks::Shared,
        };
        let net = Network::new(&cfg, 2, 1).unwrap();
        // layers.0.weight [1,2], layers.0.bias [1], layers.1.weight [1,1], layers.1.bias [1]
        let (a, c, v, b) = ([0.7, -1.3], 0.2, 1.9, -0.4);
        let theta = vec![a[0], a[1], c, v, b];
        assert_eq!(net.num_params(), theta.len());
        let x = [0.31, -0.42];
        let mut jets = Jets::new();
        net.jets(
            &theta,
            &x,
            Derivatives::Laplacian,
            &mut jets,
            &mut JetWorkspace::new(),
        )
        .unwrap();
        let z: f64 = a[0] * x[0] + a[1] * x[1] + c;
        let t = z.tanh();
        let g = v * t + b;
        let dg = [v * (1.0 - t * t) * a[0], v * (1.0 - t * t) * a[1]];
        let lg = v * (a[0] * a[0] + a[1] * a[1]) * (-2.0 * t * (1.0 - t * t));
        let expect = if dirichlet {
            let (f0, f1) = (1.0 - x[0] * x[0], 1.0 - x[1] * x[1]);
            let bb = f0 * f1;
            let db = [-2.0 * x[0] * f1, -2.0 * x[1] * f0];
            let lb = -2.0 * f1 - 2.0 * f0;
            bb * lg + 2.0 * (db[0] * dg[0] + db[1] * dg[1]) + g * lb
        } else {
            lg
        };
        let got = jets.point(0).laplacian(0);
        assert!(
            (got - expect).abs() < 1e-14 * (1.0 + expect.abs()),
            "{got} vs {expect}"
        );
    }
}

fn setup(n: usize, trunks: Trunks) -> (Network, Vec<f64>, Vec<f64>, Forward) {
    let net = small_net(3, 2, true, Activation::Swish, true, trunks);
    let theta = vector(11, net.num_params());
    let xs = points(n, 3, 12);
    let mut fwd = Forward::new();
    net.forward(&theta, &xs, &mut fwd).unwrap();
    (net, theta, xs, fwd)
}

/// J v against central differences in θ, and the adjoint identity ⟨w, Jv⟩ = ⟨Jᵀw, v⟩.
#[test]
fn jvp_and_vjp_match_finite_differences_and_adjoint() {
    for trunks in [Trunks::Shared, Trunks::PerOutput] {
        jvp_and_vjp_match_finite_differences_and_adjoint_with(trunks);
    }
}

fn jvp_and_vjp_match_finite_differences_and_adjoint_with(trunks: Trunks) {
    let (net, theta, xs, fwd) = setup(37, trunks);
    let p = net.num_params();
    let n = xs.len() / 3;
    let v = vector(13, p);
    let mut jv = vec![0.0; n * 2];
    let mut ws = TangentWorkspace::new();
    net.jvp(&theta, &fwd, &v, &mut jv, &mut ws).unwrap();
    let eps = 1e-6;
    let shifted = |s: f64| -> Vec<f64> {
        let th: Vec<f64> = theta
            .iter()
            .zip(&v)
            .map(|(t, vi)| t + s * eps * vi)
            .collect();
        let mut u = vec![0.0; n * 2];
        net.eval(&th, &xs, &mut u).unwrap();
        u
    };
    let (up, um) = (shifted(1.0), shifted(-1.0));
    for i in 0..n * 2 {
        let fd = (up[i] - um[i]) / (2.0 * eps);
        assert!(
            (jv[i] - fd).abs() < 1e-7 * (1.0 + fd.abs()),
            "{i}: {} vs {fd}",
            jv[i]
        );
    }
    let w = vector(14, n * 2);
    let mut jtw = vec![0.0; p];
    net.vjp(&theta, &fwd, &w, &mut jtw, &mut ws).unwrap();
    let lhs: f64 = w.iter().zip(&jv).map(|(a, b)| a * b).sum();
    let rhs: f64 = jtw.iter().zip(&v).map(|(a, b)| a * b).sum();
    assert!(
        (lhs - rhs).abs() < 1e-12 * lhs.abs().max(1.0),
        "{lhs} vs {rhs}"
    );
}

/// Block products equal the column-by-column ones, and Jᵀ J V equals Jᵀ(J V) and the dense
/// Jacobian's product.
#[test]
fn block_products_match_single_and_dense() {
    for trunks in [Trunks::Shared, Trunks::PerOutput] {
        block_products_match_single_and_dense_with(trunks);
    }
}

fn block_products_match_single_and_dense_with(trunks: Trunks) {
    let (net, theta, _xs, fwd) = setup(301, trunks);
    let p = net.num_params();
    let n = fwd.len();
    let r = 5;
    let v = vector(21, r * p);
    let mut ws = TangentWorkspace::new();
    let mut jv = vec![0.0; r * n * 2];
    net.jvp_block(&theta, &fwd, &v, r, &mut jv, &mut ws)
        .unwrap();
    let mut gn = vec![0.0; r * p];
    net.gauss_newton_block(&theta, &fwd, &v, r, &mut gn, &mut ws)
        .unwrap();
    let mut vjp = vec![0.0; r * p];
    net.vjp_block(&theta, &fwd, &jv, r, &mut vjp, &mut ws)
        .unwrap();
    let mut jac = vec![0.0; n * 2 * p];
    neural_ivp::ednn::dense_jacobian(&net, &theta, &fwd, &mut jac).unwrap();
    for s in 0..r {
        let vs = &v[s * p..(s + 1) * p];
        let mut single = vec![0.0; n * 2];
        net.jvp(&theta, &fwd, vs, &mut single, &mut ws).unwrap();
        for i in 0..n * 2 {
            let dense: f64 = jac[i * p..(i + 1) * p]
                .iter()
                .zip(vs)
                .map(|(a, b)| a * b)
                .sum();
            assert!((single[i] - jv[s * n * 2 + i]).abs() < 1e-12 * (1.0 + single[i].abs()));
            assert!((single[i] - dense).abs() < 1e-11 * (1.0 + dense.abs()));
        }
        let mut back = vec![0.0; p];
        net.vjp(&theta, &fwd, &single, &mut back, &mut ws).unwrap();
        let mut gn1 = vec![0.0; p];
        net.gauss_newton_block(&theta, &fwd, vs, 1, &mut gn1, &mut ws)
            .unwrap();
        let scale = back.iter().fold(0.0f64, |a, b| a.max(b.abs()));
        for k in 0..p {
            assert!((back[k] - gn[s * p + k]).abs() < 1e-11 * scale);
            assert!((back[k] - gn1[k]).abs() < 1e-11 * scale);
            assert!((back[k] - vjp[s * p + k]).abs() < 1e-11 * scale);
        }
    }
}

/// Parameter products and jets do not depend on the number of threads (1, 2 and 3), for
/// one tangent and for a block, on point sets within one chunk and across many.
#[test]
fn products_are_thread_count_independent() {
    for (n, trunks) in [(999, Trunks::Shared), (40_000, Trunks::PerOutput)] {
        let (net, theta, xs, fwd) = setup(n, trunks);
        let p = net.num_params();
        let v = vector(4, 3 * p);
        let w = vector(5, 2 * n);
        let run = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                let mut ws = TangentWorkspace::new();
                let mut block = vec![0.0; 3 * p];
                net.gauss_newton_block(&theta, &fwd, &v, 3, &mut block, &mut ws)
                    .unwrap();
                let mut one = vec![0.0; p];
                net.gauss_newton_block(&theta, &fwd, &v[..p], 1, &mut one, &mut ws)
                    .unwrap();
                let mut jv = vec![0.0; 2 * n];
                net.jvp(&theta, &fwd, &v[..p], &mut jv, &mut ws).unwrap();
                let mut jtw = vec![0.0; p];
                net.vjp(&theta, &fwd, &w, &mut jtw, &mut ws).unwrap();
                let mut jets = Jets::new();
                net.jets(
                    &theta,
                    &xs,
                    Derivatives::Laplacian,
                    &mut jets,
                    &mut JetWorkspace::new(),
                )
                .unwrap();
                (
                    block,
                    one,
                    jv,
                    jtw,
                    jets.values().to_vec(),
                    jets.point(n - 1).laplacian(1),
                )
            })
        };
        let one = run(1);
        assert_eq!(one, run(2), "n = {n}");
        assert_eq!(one, run(3), "n = {n}");
    }
}

/// On a point set spanning many chunks and lanes, Jᵀw is the sum of Jᵀw over disjoint subsets,
/// Jᵀ(J v) is the Gauss–Newton product, J v and the jets of a point do not depend on the
/// points around it.
#[test]
fn products_across_chunks_equal_their_parts() {
    let (net, theta, xs, fwd) = setup(40_000, Trunks::PerOutput);
    let (p, n, m) = (net.num_params(), 40_000, 2);
    let mut ws = TangentWorkspace::new();
    let v = vector(6, p);
    let w = vector(7, n * m);
    let mut jtw = vec![0.0; p];
    net.vjp(&theta, &fwd, &w, &mut jtw, &mut ws).unwrap();
    let mut sum = vec![0.0; p];
    let mut part = vec![0.0; p];
    let mut sub = Forward::new();
    for s in (0..n).step_by(1000) {
        net.forward(&theta, &xs[s * 3..(s + 1000) * 3], &mut sub)
            .unwrap();
        net.vjp(&theta, &sub, &w[s * m..(s + 1000) * m], &mut part, &mut ws)
            .unwrap();
        sum.iter_mut().zip(&part).for_each(|(a, b)| *a += b);
    }
    let scale = sum.iter().fold(0.0f64, |a, b| a.max(b.abs()));
    for k in 0..p {
        assert!((jtw[k] - sum[k]).abs() < 1e-12 * scale, "Jᵀw[{k}]");
    }
    let mut jv = vec![0.0; n * m];
    net.jvp(&theta, &fwd, &v, &mut jv, &mut ws).unwrap();
    let mut gn = vec![0.0; p];
    net.gauss_newton_block(&theta, &fwd, &v, 1, &mut gn, &mut ws)
        .unwrap();
    let mut back = vec![0.0; p];
    net.vjp(&theta, &fwd, &jv, &mut back, &mut ws).unwrap();
    let scale = back.iter().fold(0.0f64, |a, b| a.max(b.abs()));
    for k in 0..p {
        assert!((gn[k] - back[k]).abs() < 1e-12 * scale, "JᵀJv[{k}]");
    }
    let mut jets = Jets::new();
    net.jets(
        &theta,
        &xs,
        Derivatives::Hessian,
        &mut jets,
        &mut JetWorkspace::new(),
    )
    .unwrap();
    let mut one = Jets::new();
    for i in [0, 4_999, 5_000, 20_001, 39_999] {
        let x = &xs[i * 3..(i + 1) * 3];
        net.forward(&theta, x, &mut sub).unwrap();
        let mut jv1 = vec![0.0; m];
        net.jvp(&theta, &sub, &v, &mut jv1, &mut ws).unwrap();
        net.jets(
            &theta,
            x,
            Derivatives::Hessian,
            &mut one,
            &mut JetWorkspace::new(),
        )
        .unwrap();
        for o in 0..m {
            let close = |a: f64, b: f64| (a - b).abs() <= 1e-13 * (1.0 + b.abs());
            assert!(close(jv[i * m + o], jv1[o]), "J v at point {i}");
            assert!(close(jets.point(i).value(o), one.point(0).value(o)));
            assert!(close(jets.point(i).laplacian(o), one.point(0).laplacian(o)));
            assert!(close(
                jets.point(i).hessian(o, 0, 2),
                one.point(0).hessian(o, 0, 2)
            ));
        }
    }
}
