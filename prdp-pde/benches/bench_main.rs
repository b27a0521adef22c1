//! Forward and VJP time of each physics step P_K at the paper's size and at 4× more unknowns,
//! with the solver each experiment uses, at K = K_ε and K = K_ε/4, for one sample and a batch
//! of 25 (f32). K_ε are this crate's values at the paper's size (`examples/k_epsilon.rs`).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use prdp_core::Boundary;
use prdp_pde::{
    Assembly, Burgers1d, BurgersConfig, FourierSeries, Heat, HeatConfig, NavierStokes,
    NavierStokesConfig, NsInitialConditions, Physics, Poisson, PoissonConfig, sample_rng,
};
use prdp_solvers::{Budget, DiffMode, DiffSolver, Method};

const BATCHES: [usize; 2] = [1, 25];

fn implicit() -> DiffMode {
    DiffMode::Implicit {
        adjoint_budget: None,
    }
}

/// Benchmarks forward and VJP of `assembly` for both K and both batch sizes; `input(s)` gives
/// sample s's input.
fn bench<A: Assembly<f32> + Clone>(
    c: &mut Criterion,
    name: &str,
    assembly: &A,
    method: Method,
    mode: DiffMode,
    k_eps: usize,
    input: impl Fn(usize) -> Vec<f32>,
) {
    let mut group = c.benchmark_group(name);
    for k in [k_eps, (k_eps / 4).max(1)] {
        for count in BATCHES {
            let g: Vec<f32> = (0..count).flat_map(&input).collect();
            let solver = DiffSolver::new(method, Budget::fixed(k), mode).unwrap();
            let mut p = Physics::new(assembly.clone(), solver).unwrap();
            let mut u = vec![0.0f32; count * assembly.state_len()];
            let mut g_bar = vec![0.0f32; g.len()];
            group.bench_function(format!("forward K={k} batch={count}"), |b| {
                b.iter(|| p.forward_batch(black_box(&g), &mut u, count).unwrap())
            });
            p.forward_batch(&g, &mut u, count).unwrap();
            let u_bar = u.clone();
            group.bench_function(format!("vjp K={k} batch={count}"), |b| {
                b.iter(|| p.vjp_batch(black_box(&u_bar), &mut g_bar).unwrap())
            });
        }
    }
    group.finish();
}

fn fourier(dims: &[usize], boundary: Boundary, modes: usize) -> impl Fn(usize) -> Vec<f32> + '_ {
    move |s| {
        FourierSeries {
            modes,
            ..FourierSeries::default()
        }
        .sample(&mut sample_rng(1, s), dims, boundary)
    }
}

fn physics(c: &mut Criterion) {
    for (n, tag) in [(30, "paper"), (120, "4x")] {
        let p = Poisson::<f32>::new(PoissonConfig { n, modes: 1 }).unwrap();
        bench(
            c,
            &format!("poisson_1p_jacobi_{tag}"),
            &p,
            Method::Jacobi,
            implicit(),
            565,
            |s| vec![2.0 + s as f32 * 0.01],
        );
    }
    for (dim, k_eps, mode) in [
        (1, 25, implicit()),
        (2, 44, DiffMode::Unrolled),
        (3, 30, DiffMode::Unrolled),
    ] {
        let paper = HeatConfig::paper(dim);
        let n0 = paper.dims[0];
        let n4 = match dim {
            1 => 4 * n0,
            2 => 2 * n0,
            _ => 32,
        };
        for (n, tag) in [(n0, "paper"), (n4, "4x")] {
            let dims = vec![n; dim];
            let heat = Heat::<f32>::new(HeatConfig {
                dims: dims.clone(),
                ..paper.clone()
            })
            .unwrap();
            bench(
                c,
                &format!("heat_{dim}d_jacobi_{tag}"),
                &heat,
                Method::Jacobi,
                mode,
                k_eps,
                fourier(&dims, Boundary::Dirichlet, 5),
            );
        }
    }
    for (n, tag) in [(256, "paper"), (1024, "4x")] {
        let b = Burgers1d::<f32>::new(BurgersConfig {
            n,
            ..BurgersConfig::default()
        })
        .unwrap();
        let dims = [n];
        bench(
            c,
            &format!("burgers_1d_gmres2_{tag}"),
            &b,
            Method::Gmres { restart: 2 },
            implicit(),
            20,
            fourier(&dims, Boundary::Periodic, 20),
        );
    }
    for (n, tag) in [(48, "paper"), (96, "4x")] {
        let config = NavierStokesConfig {
            n,
            ..NavierStokesConfig::paper_coarse()
        };
        let ics = NsInitialConditions::new(&config, 3e-3).unwrap();
        let ns = NavierStokes::<f32>::new(config).unwrap();
        bench(
            c,
            &format!("navier_stokes_gmres8_{tag}"),
            &ns,
            Method::Gmres { restart: 8 },
            implicit(),
            41,
            |s| ics.sample(&mut sample_rng(1, s)).unwrap(),
        );
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    targets = physics
}
criterion_main!(benches);
