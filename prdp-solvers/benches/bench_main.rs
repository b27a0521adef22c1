//! Solver throughput on the 2D periodic heat operator I − νΔt·L₂ (ν = 0.001, Δt = 1), reported
//! as unknowns·iterations per second (criterion's elements/s), beside a STREAM-like triad on
//! arrays of the same size, which measures the memory (or cache) bandwidth of this machine in
//! the same run.
//!
//! Run with `cargo bench -p prdp-solvers`; `-- jacobi` filters.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use prdp_core::{Boundary, Stencil};
use prdp_solvers::{
    Batch, BatchWorkspace, Budget, DiffMode, DiffSolver, DiscardCotangent, LaneWorkspace, Method,
    Seeds, SolveOptions, SolveReport, Tape, Workspace, jacobi_batch_major, solve_batch,
    solve_batch_with,
};
use rayon::prelude::*;

const K: usize = 10;
const BATCH: usize = 25;
const SIZES: [usize; 4] = [30, 64, 128, 256];

fn heat(n: usize) -> Stencil<f32> {
    let h = 1.0 / n as f64;
    Stencil::laplacian(&[n, n], &[h, h], Boundary::Periodic)
        .expect("valid grid")
        .affine(1.0, -0.001)
}

fn rhs(len: usize) -> Vec<f32> {
    (0..len).map(|i| ((i as f32) * 0.618).sin()).collect()
}

/// a[i] = b[i] + s·c[i] over `len` f32 values: 12 bytes of traffic per element.
fn triad(c: &mut Criterion) {
    let mut g = c.benchmark_group("triad");
    for n in SIZES {
        for batch in [1, BATCH] {
            let len = n * n * batch;
            let b = rhs(len);
            let cc = rhs(len);
            let mut a = vec![0.0f32; len];
            g.throughput(Throughput::Bytes((12 * len) as u64));
            g.bench_function(BenchmarkId::new(format!("{n}x{n}"), batch), |bench| {
                bench.iter(|| {
                    if batch == 1 {
                        for ((ai, bi), ci) in a.iter_mut().zip(&b).zip(&cc) {
                            *ai = bi + 0.5 * ci;
                        }
                    } else {
                        a.par_chunks_mut(n * n)
                            .zip(b.par_chunks(n * n))
                            .zip(cc.par_chunks(n * n))
                            .for_each(|((a, b), c)| {
                                for ((ai, bi), ci) in a.iter_mut().zip(b).zip(c) {
                                    *ai = bi + 0.5 * ci;
                                }
                            });
                    }
                    black_box(&a);
                })
            });
        }
    }
    g.finish();
}

fn forward(c: &mut Criterion) {
    let methods = [
        Method::Jacobi,
        Method::Cg {
            preconditioner: prdp_solvers::PreconditionerKind::None,
        },
        Method::Gmres { restart: 2 },
        Method::Gmres { restart: 8 },
    ];
    for method in methods {
        let mut g = c.benchmark_group(format!("forward/{}", method.name()));
        for n in SIZES {
            let a = heat(n);
            for batch in [1, BATCH] {
                let b = rhs(n * n * batch);
                let mut x = vec![0.0f32; n * n * batch];
                let mut bws = BatchWorkspace::new();
                let mut ws = Workspace::new();
                let budget = Budget::fixed(K);
                let opts = SolveOptions::default();
                g.throughput(Throughput::Elements((n * n * K * batch) as u64));
                g.bench_function(BenchmarkId::new(format!("{n}x{n}"), batch), |bench| {
                    bench.iter(|| {
                        if batch == 1 {
                            method
                                .solve(&a, &b, &mut x, &budget, &opts, &mut ws)
                                .expect("solve");
                        } else {
                            solve_batch(
                                &method,
                                &a,
                                Batch {
                                    b: &b,
                                    x: &mut x,
                                    count: batch,
                                },
                                &budget,
                                &opts,
                                &mut bws,
                            )
                            .expect("solve");
                        }
                        black_box(&x);
                    })
                });
                if batch == BATCH && n == SIZES[0] {
                    // The same batch called from a thread of the pool (as from inside
                    // `rayon::scope`): the caller takes part and no thread has to be woken when
                    // the batch ends, which at this size costs about a fifth of the time.
                    let id = BenchmarkId::new(format!("{n}x{n}-in-pool"), batch);
                    g.bench_function(id, |bench| {
                        rayon::scope(|_| {
                            bench.iter(|| {
                                let items = Batch {
                                    b: &b,
                                    x: &mut x,
                                    count: batch,
                                };
                                solve_batch(&method, &a, items, &budget, &opts, &mut bws)
                                    .expect("solve");
                                black_box(&x);
                            })
                        })
                    });
                }
            }
        }
        g.finish();
    }
}

/// A batch of Jacobi solves (K = 10) sample by sample over the pool against batch-major (one
/// group per thread where `batch_major_groups` cuts the batch), in 1D and 2D: the measurement
/// behind `batch_major_groups`.
fn batch_major(c: &mut Criterion) {
    let mut g = c.benchmark_group("batch_major/Jacobi");
    let line = |n: usize| {
        Stencil::laplacian(&[n], &[1.0 / (n + 1) as f64], Boundary::Dirichlet)
            .expect("valid grid")
            .affine(1.0, -0.001)
    };
    for (label, a, batch) in [
        ("30", line(30), BATCH),
        ("120", line(120), BATCH),
        ("256", line(256), BATCH),
        ("120-batch-200", line(120), 200),
        ("30x30", heat(30), BATCH),
        ("64x64", heat(64), BATCH),
    ] {
        let len = a.len() * batch;
        let b = rhs(len);
        let mut x = vec![0.0f32; len];
        let (budget, opts) = (Budget::fixed(K), SolveOptions::default());
        let mut bws = BatchWorkspace::new();
        let mut lws = LaneWorkspace::new();
        let mut reports = vec![SolveReport::default(); batch];
        g.throughput(Throughput::Elements((len * K) as u64));
        g.bench_function(BenchmarkId::new("per-sample", label), |bench| {
            bench.iter(|| {
                let per = |_| &a;
                solve_batch_with(
                    &Method::Jacobi,
                    per,
                    Batch {
                        b: &b,
                        x: &mut x,
                        count: batch,
                    },
                    &budget,
                    &opts,
                    &mut bws,
                )
                .expect("solve");
                black_box(&x);
            })
        });
        g.bench_function(BenchmarkId::new("batch-major", label), |bench| {
            bench.iter(|| {
                jacobi_batch_major(
                    &a,
                    Batch {
                        b: &b,
                        x: &mut x,
                        count: batch,
                    },
                    &budget,
                    &opts,
                    &mut lws,
                    &mut reports,
                )
                .expect("solve");
                black_box(&x);
            })
        });
    }
    g.finish();
}

/// The heat 1D training step's solve: 25 systems of 30 unknowns batch-major, at most K = 25
/// sweeps, each sample stopping at relative residual 10⁻⁵ (the norms of every sweep).
fn batch_major_stopping(c: &mut Criterion) {
    let mut g = c.benchmark_group("batch_major_stopping/Jacobi");
    let a = Stencil::laplacian(&[30], &[1.0 / 31.0], Boundary::Dirichlet)
        .expect("valid grid")
        .affine(1.0, -0.001);
    let len = a.len() * BATCH;
    let b = rhs(len);
    let mut x = vec![0.0f32; len];
    let (budget, opts) = (
        Budget::new(25, 1e-5).expect("valid budget"),
        SolveOptions::default(),
    );
    let mut lws = LaneWorkspace::new();
    let mut reports = vec![SolveReport::default(); BATCH];
    g.bench_function("30", |bench| {
        bench.iter(|| {
            let batch = Batch {
                b: &b,
                x: &mut x,
                count: BATCH,
            };
            jacobi_batch_major(&a, batch, &budget, &opts, &mut lws, &mut reports).expect("solve");
            black_box(&x);
        })
    });
    g.finish();
}

/// Forward plus backward of a differentiable solve over a batch, one tape per sample.
fn backward(c: &mut Criterion) {
    let cases = [
        (
            Method::Jacobi,
            DiffMode::Implicit {
                adjoint_budget: None,
            },
        ),
        (Method::Jacobi, DiffMode::Unrolled),
        (
            Method::Cg {
                preconditioner: prdp_solvers::PreconditionerKind::None,
            },
            DiffMode::Implicit {
                adjoint_budget: None,
            },
        ),
        (
            Method::Cg {
                preconditioner: prdp_solvers::PreconditionerKind::None,
            },
            DiffMode::Unrolled,
        ),
        (
            Method::Gmres { restart: 2 },
            DiffMode::Implicit {
                adjoint_budget: None,
            },
        ),
        (
            Method::Gmres { restart: 8 },
            DiffMode::Implicit {
                adjoint_budget: None,
            },
        ),
    ];
    for (method, mode) in cases {
        let label = match mode {
            DiffMode::Implicit { .. } => "implicit",
            _ => "unrolled",
        };
        let solver = DiffSolver::new(method, Budget::fixed(K), mode).expect("valid solver");
        let mut g = c.benchmark_group(format!("backward/{}/{label}", method.name()));
        for n in SIZES {
            let a = heat(n);
            let len = n * n;
            for batch in [1, BATCH] {
                let b = rhs(len * batch);
                let mut u = vec![0.0f32; len * batch];
                let mut b_bar = vec![0.0f32; len * batch];
                let mut slots: Vec<(Tape<f32>, Workspace<f32>)> = (0..batch)
                    .map(|_| (Tape::new(), Workspace::new()))
                    .collect();
                for ((s, us), bs) in slots.iter_mut().zip(u.chunks_mut(len)).zip(b.chunks(len)) {
                    solver
                        .forward(&a, bs, us, &mut s.0, &mut s.1)
                        .expect("forward");
                }
                g.throughput(Throughput::Elements((len * K * batch) as u64));
                g.bench_function(BenchmarkId::new(format!("{n}x{n}"), batch), |bench| {
                    bench.iter(|| {
                        slots
                            .par_iter_mut()
                            .zip(b_bar.par_chunks_mut(len))
                            .zip(b.par_chunks(len))
                            .zip(u.par_chunks(len))
                            .for_each(|(((s, bb), bs), us)| {
                                solver
                                    .backward(
                                        &a,
                                        bs,
                                        &mut s.0,
                                        Seeds {
                                            u_bar: us,
                                            b_bar: bb,
                                            sink: &mut DiscardCotangent,
                                        },
                                        &mut s.1,
                                    )
                                    .expect("backward");
                            });
                        black_box(&b_bar);
                    })
                });
            }
        }
        g.finish();
    }
}

/// GMRES(2), 10 restart cycles, on a 256-unknown nonsymmetric (upwind convection–diffusion)
/// system, single right-hand side.
fn gmres_nonsymmetric(c: &mut Criterion) {
    let n = 256;
    let a = Stencil::<f32>::new(
        &[n],
        Boundary::Periodic,
        1.6,
        &[(&[-1], -0.5), (&[1], -0.1)],
    )
    .expect("valid stencil");
    let b = rhs(n);
    let mut x = vec![0.0f32; n];
    let mut ws = Workspace::new();
    let mut g = c.benchmark_group("gmres2_nonsymmetric_256");
    g.throughput(Throughput::Elements((n * 10) as u64));
    g.bench_function("10 cycles", |bench| {
        bench.iter(|| {
            Method::Gmres { restart: 2 }
                .solve(
                    &a,
                    &b,
                    &mut x,
                    &Budget::fixed(10),
                    &SolveOptions::default(),
                    &mut ws,
                )
                .expect("solve");
            black_box(&x);
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    triad,
    forward,
    batch_major,
    batch_major_stopping,
    backward,
    gmres_nonsymmetric
);
criterion_main!(benches);
