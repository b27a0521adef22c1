//! The whole training step of every experiment of the PRDP paper, at the paper's shapes and the
//! converged K_ε (the baseline's step; PRDP's steps run at K ≤ K_ε), as a user runs it: the
//! scenario built by `Experiment::step_probe` from the presets. Beside them, the machine's
//! limits in the same run: faer's f32 GEMM on all cores and a triad over 64 MB (bandwidth).
//! After each experiment the mean time per phase (network, physics forward, physics backward,
//! optimiser) over criterion's last sample is printed from the probe's ledger, with the
//! physics' share of the step.
//!
//! `cargo bench -p prdp-train` (data sets are generated once into `target/bench-data`).

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use faer::linalg::matmul::matmul;
use faer::mat::{MatMut, MatRef};
use faer::{Accum, Par};
use prdp_train::presets::{self, EPSILON};
use prdp_train::{Experiment, KSchedule, ScenarioConfig};

/// Where the benches keep their data sets between runs.
fn data_cache() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench-data")
}

/// The experiments: name, scenario and K_ε (`None`: computed here, as the reproduction does).
fn experiments() -> Vec<(&'static str, ScenarioConfig, Option<usize>)> {
    vec![
        // K_ε of the committed reproductions (results/<experiment>/summary.json) and of the
        // heat 3D run at the paper's settings
        (
            "heat1d",
            ScenarioConfig::Emulator(presets::heat_emulator(1)),
            Some(25),
        ),
        (
            "heat2d",
            ScenarioConfig::Emulator(presets::heat_emulator(2)),
            Some(44),
        ),
        (
            "heat3d",
            ScenarioConfig::Emulator(presets::heat_emulator(3)),
            Some(30),
        ),
        (
            "burgers",
            ScenarioConfig::Emulator(presets::burgers_emulator()),
            Some(20),
        ),
        (
            "navier-stokes",
            ScenarioConfig::Hybrid(presets::navier_stokes_hybrid()),
            None,
        ),
    ]
}

fn full_step(c: &mut Criterion) {
    let cache = data_cache();
    let mut g = c.benchmark_group("training_step");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(5));
    let mut lines = Vec::new();
    // building an experiment generates its data: skip those a name filter leaves out
    let filter = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    for (name, scenario, k) in experiments() {
        if filter.as_ref().is_some_and(|f| !name.contains(f.as_str())) {
            continue;
        }
        let e: Experiment = presets::experiment(name, scenario, KSchedule::Fixed { k: 1 }, 0);
        let k = match k {
            Some(k) => k,
            None => e
                .k_epsilon(Some(&cache), 200, EPSILON)
                .expect("K_ε")
                .k
                .expect("K_ε within 200"),
        };
        let mut probe = e.step_probe(Some(&cache)).expect("the preset builds");
        g.bench_function(format!("{name}_k{k}"), |b| {
            b.iter_custom(|iters| {
                // the phases printed below are those of the last (longest) sample
                probe.reset();
                let t = Instant::now();
                for _ in 0..iters {
                    black_box(probe.step(k).expect("a step"));
                }
                t.elapsed()
            })
        });
        let l = probe.ledger();
        let per_step = |s: f64| 1e6 * s / l.update_steps as f64;
        let w = &l.wall;
        let physics = w.physics_forward + w.physics_backward;
        lines.push(format!(
            "{name} (K = {k}, p = {}, batch {}): network {:.1} µs, physics forward {:.1} µs, \
             physics backward {:.1} µs, optimiser {:.1} µs per step; physics {:.0}% of {:.1} µs",
            probe.num_params(),
            probe.batch_size(),
            per_step(w.network),
            per_step(w.physics_forward),
            per_step(w.physics_backward),
            per_step(w.optimizer),
            100.0 * physics / w.training(),
            per_step(w.training()),
        ));
    }
    g.finish();
    for line in lines {
        eprintln!("phases: {line}");
    }
}

/// The machine's limits in the same run: f32 GEMM on all cores (1024³) and a triad
/// a = b + s·c over 3 × 64 MB (memory bandwidth).
fn limits(c: &mut Criterion) {
    let mut g = c.benchmark_group("machine_limits");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    let n = 1024;
    let a: Vec<f32> = (0..n * n).map(|i| ((i * 7) % 13) as f32 * 0.1).collect();
    let b: Vec<f32> = (0..n * n).map(|i| ((i * 5) % 11) as f32 * 0.1).collect();
    let mut out = vec![0.0f32; n * n];
    g.throughput(criterion::Throughput::Elements(2 * (n * n * n) as u64));
    g.bench_function("gemm_f32_1024_all_cores", |bench| {
        bench.iter(|| {
            matmul(
                MatMut::from_row_major_slice_mut(&mut out, n, n),
                Accum::Replace,
                MatRef::from_row_major_slice(&a, n, n),
                MatRef::from_row_major_slice(&b, n, n),
                1.0f32,
                Par::rayon(0),
            );
            black_box(&out);
        })
    });
    let len = 16 << 20;
    let (x, y) = (vec![1.0f32; len], vec![2.0f32; len]);
    let mut z = vec![0.0f32; len];
    g.throughput(criterion::Throughput::Bytes(3 * 4 * len as u64));
    g.bench_function("triad_f32_64mb_all_cores", |bench| {
        use rayon::prelude::*;
        bench.iter(|| {
            z.par_chunks_mut(1 << 16)
                .zip(x.par_chunks(1 << 16))
                .zip(y.par_chunks(1 << 16))
                .for_each(|((z, x), y)| {
                    for ((z, x), y) in z.iter_mut().zip(x).zip(y) {
                        *z = x + 0.5 * y;
                    }
                });
            black_box(&z);
        })
    });
    g.finish();
}

criterion_group!(benches, limits, full_step);
criterion_main!(benches);
