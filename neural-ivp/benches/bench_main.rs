//! Criterion benches: cost of the Gauss–Newton product (linear in p, 10⁴–10⁶ parameters) beside
//! a GEMM of the same shape on all cores (the machine's bound: the product costs ≈ 2·n·p
//! multiply–adds once the output sensitivities of the linearisation are cached, so its
//! GEMM-bound time is 2·n·p / (n·w²) times the GEMM's), a new linearisation (the forward pass,
//! the sensitivities and the first product), the Nyström build, input jets, and the EDNN dense
//! stage (cubic in p).
//!
//! `cargo bench -p neural-ivp`

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use neural_ivp::reference::interior_grid;
use neural_ivp::{
    BlockOperator, Derivatives, Forward, GaussNewton, JetWorkspace, Jets, Network, NetworkConfig,
    NystromPreconditioner, ednn,
};

fn points(n: usize, d: usize) -> Vec<f64> {
    let per_axis = (n as f64).powf(1.0 / d as f64).ceil() as usize;
    interior_grid(per_axis, d)[..n * d].to_vec()
}

fn gauss_newton(c: &mut Criterion) {
    let mut g = c.benchmark_group("gauss_newton_product");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1));
    let n = 1000;
    let pts = points(n, 3);
    for width in [56, 180, 560] {
        let net = Network::new(
            &NetworkConfig {
                width,
                ..NetworkConfig::default()
            },
            3,
            1,
        )
        .unwrap();
        let theta = net.init(0);
        let p = net.num_params();
        let mut fwd = Forward::new();
        net.forward(&theta, &pts, &mut fwd).unwrap();
        let op = GaussNewton::new(&net, &theta, &fwd).unwrap();
        let v = vec![1e-3; p];
        let mut y = vec![0.0; p];
        g.bench_with_input(BenchmarkId::new("p", p), &p, |b, _| {
            b.iter(|| op.apply_block(black_box(&v), 1, &mut y).unwrap())
        });
        // a new linearisation: the forward pass, then the first product computes the
        // sensitivities
        let mut ws = Some(op.into_workspace());
        g.bench_with_input(BenchmarkId::new("new_linearisation_p", p), &p, |b, _| {
            b.iter(|| {
                net.forward(&theta, &pts, &mut fwd).unwrap();
                let op = GaussNewton::new(&net, &theta, &fwd)
                    .unwrap()
                    .with_workspace(ws.take().unwrap());
                op.apply_block(black_box(&v), 1, &mut y).unwrap();
                ws = Some(op.into_workspace());
            })
        });
        // the machine's bound for this product: a GEMM of the same point count through the
        // widest layer on all cores (the product costs ≈ 2·n·p multiply–adds)
        let a = faer::Mat::<f64>::from_fn(n, width, |i, j| ((i * 7 + j) % 11) as f64 * 0.1);
        let w = faer::Mat::<f64>::from_fn(width, width, |i, j| ((i + 3 * j) % 13) as f64 * 0.1);
        let mut c = faer::Mat::<f64>::zeros(n, width);
        g.bench_with_input(
            BenchmarkId::new("gemm_bound_width", width),
            &width,
            |b, _| {
                b.iter(|| {
                    faer::linalg::matmul::matmul(
                        c.as_mut(),
                        faer::Accum::Replace,
                        black_box(a.as_ref()),
                        w.as_ref(),
                        1.0,
                        faer::Par::rayon(0),
                    )
                })
            },
        );
    }
    g.finish();
}

fn nystrom_and_jets(c: &mut Criterion) {
    let mut g = c.benchmark_group("per_solve");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1));
    let n = 1000;
    let pts = points(n, 3);
    let net = Network::new(
        &NetworkConfig {
            width: 56,
            ..NetworkConfig::default()
        },
        3,
        1,
    )
    .unwrap();
    let theta = net.init(0);
    let mut fwd = Forward::new();
    net.forward(&theta, &pts, &mut fwd).unwrap();
    let op = GaussNewton::new(&net, &theta, &fwd).unwrap();
    g.bench_function(format!("nystrom_rank50_p{}", net.num_params()), |b| {
        b.iter(|| NystromPreconditioner::build(&op, 50, 1, 1e-8, 0.0).unwrap())
    });
    let mut jets = Jets::new();
    let mut ws = JetWorkspace::new();
    g.bench_function(format!("jets_laplacian_d3_n{n}"), |b| {
        b.iter(|| {
            net.jets(
                &theta,
                black_box(&pts),
                Derivatives::Laplacian,
                &mut jets,
                &mut ws,
            )
            .unwrap()
        })
    });
    g.finish();
}

fn ednn_dense(c: &mut Criterion) {
    let mut g = c.benchmark_group("ednn_dense_stage");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(5))
        .warm_up_time(Duration::from_secs(1));
    for width in [16, 30] {
        let net = Network::new(
            &NetworkConfig {
                width,
                ..NetworkConfig::ednn()
            },
            3,
            1,
        )
        .unwrap();
        let theta = net.init(0);
        let p = net.num_params();
        let n = p + 1;
        let pts = points(n, 3);
        let mut fwd = Forward::new();
        net.forward(&theta, &pts, &mut fwd).unwrap();
        let mut jac = vec![0.0; n * p];
        let f = vec![1.0; n];
        let mut out = vec![0.0; p];
        g.bench_with_input(BenchmarkId::new("p", p), &p, |b, _| {
            b.iter(|| {
                ednn::dense_jacobian(&net, &theta, &fwd, &mut jac).unwrap();
                ednn::truncated_lstsq(&jac, n, p, &f, 1e-3, &mut out).unwrap()
            })
        });
    }
    g.finish();
}

criterion_group!(benches, gauss_newton, nystrom_and_jets, ednn_dense);
criterion_main!(benches);
