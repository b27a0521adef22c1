//! Initial conditions and data sets: determinism, layout, files.

use crate::common::*;
use prdp_core::Boundary;
use prdp_pde::{
    BurgersConfig, DataSpec, Dataset, FourierSeries, HeatConfig, NavierStokesConfig,
    NsInitialConditions, PdeError, Trajectories, burgers_dataset, heat_dataset,
    navier_stokes_dataset, read_npy, restrict, sample_rng, write_npy,
};

fn temp(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("prdp_pde_test_{}_{name}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The same seed gives the same data bit for bit with one thread or several; another seed
/// gives other data.
#[test]
fn data_is_thread_count_independent() {
    let spec = DataSpec {
        seed: 11,
        train: 6,
        validation: 2,
        train_steps: 2,
        validation_steps: 4,
    };
    let make = |threads: usize, seed: u64| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let s = DataSpec {
                seed,
                ..spec.clone()
            };
            let burgers = BurgersConfig {
                n: 64,
                ..BurgersConfig::default()
            };
            let ns = NavierStokesConfig {
                n: 13,
                ..NavierStokesConfig::paper_fine()
            };
            (
                heat_dataset::<f32>(&HeatConfig::paper(2), &s, &FourierSeries::default()).unwrap(),
                burgers_dataset::<f32>(&burgers, &s, 20).unwrap(),
                navier_stokes_dataset::<f32>(&ns, &s, 3e-3).unwrap(),
            )
        })
    };
    let one = make(1, 11);
    assert_eq!(one, make(3, 11));
    assert_ne!(one.0, make(1, 12).0);
    let (heat, burgers, ns) = one;
    assert_eq!(
        (
            heat.train.samples(),
            heat.train.times(),
            heat.validation.times()
        ),
        (6, 3, 5)
    );
    assert_eq!(burgers.train.shape(), &[64]);
    assert_eq!(ns.fine.train.shape(), &[3, 13, 13]);
    assert_eq!(ns.coarse.validation.shape(), &[3, 6, 6]);
    // The coarse data is the fine data at indices [1::2, 1::2].
    assert_eq!(
        ns.coarse.train.state(3, 2)[6 + 2],
        ns.fine.train.state(3, 2)[3 * 13 + 5]
    );
}

/// Fourier initial conditions: amplitudes within bounds and the right modes (zero mean on a
/// periodic grid).
#[test]
fn fourier_series() {
    let ic = FourierSeries {
        modes: 20,
        ..FourierSeries::default()
    };
    let u: Vec<f64> = ic.sample(&mut sample_rng(3, 1), &[256], Boundary::Periodic);
    assert!(u.iter().sum::<f64>().abs() < 1e-10);
    assert!(u.iter().all(|v| v.abs() <= 40.0));
    let v: Vec<f64> = ic.sample(&mut sample_rng(3, 1), &[256], Boundary::Periodic);
    assert_eq!(u, v);
    let w: Vec<f64> =
        FourierSeries::default().sample(&mut sample_rng(3, 1), &[6, 5, 4], Boundary::Dirichlet);
    assert_eq!(w.len(), 120);
}

/// Navier–Stokes initial velocities: zero mean, and divergence-free after the projection.
#[test]
fn navier_stokes_initial_conditions() {
    let config = NavierStokesConfig {
        n: 24,
        ..NavierStokesConfig::paper_fine()
    };
    let ics = NsInitialConditions::new(&config, 3e-3).unwrap();
    let s: Vec<f64> = ics.sample(&mut sample_rng(1, 4)).unwrap();
    let m = 24 * 24;
    for c in 0..2 {
        let comp = &s[c * m..(c + 1) * m];
        assert!(comp.iter().sum::<f64>().abs() < 1e-9);
        let var = comp.iter().map(|v| v * v).sum::<f64>() / m as f64;
        assert!(var > 0.2 && var < 1.0 + 1e-9, "variance {var}");
    }
    assert!(s[2 * m..].iter().all(|v| *v == 0.0));
    let ns = prdp_pde::NavierStokes::<f64>::new(config).unwrap();
    let mut div = vec![0.0; m];
    ns.divergence(&s, &mut div);
    assert!(norm(&div) < 1e-10);
}

#[test]
fn npy_round_trip_and_errors() {
    let dir = temp("npy");
    let path = dir.join("a.npy");
    let data: Vec<f64> = (0..24).map(|i| i as f64 * 0.5).collect();
    write_npy(&path, &[2, 3, 4], &data).unwrap();
    assert_eq!(
        read_npy::<f64>(&path).unwrap(),
        (vec![2, 3, 4], data.clone())
    );
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(
        (bytes.len() - 24 * 8) % 64,
        0,
        "header is padded to 64 bytes"
    );
    match read_npy::<f32>(&path) {
        Err(PdeError::Format { reason, .. }) => assert!(reason.contains("'<f8'"), "{reason}"),
        other => panic!("expected a dtype error, got {other:?}"),
    }
    std::fs::write(dir.join("bad.npy"), b"not numpy").unwrap();
    assert!(matches!(
        read_npy::<f64>(&dir.join("bad.npy")),
        Err(PdeError::Format { .. })
    ));
    assert!(matches!(
        read_npy::<f64>(&dir.join("missing.npy")),
        Err(PdeError::Io { .. })
    ));
    assert!(matches!(
        write_npy(&path, &[5], &data),
        Err(PdeError::Length { .. })
    ));
}

#[test]
fn dataset_save_load_and_gather() {
    let spec = DataSpec {
        train: 3,
        validation: 2,
        ..DataSpec::default()
    };
    let d = heat_dataset::<f32>(&HeatConfig::paper(1), &spec, &FourierSeries::default()).unwrap();
    let dir = temp("dataset");
    d.save(&dir).unwrap();
    assert_eq!(Dataset::<f32>::load(&dir).unwrap(), d);
    assert!(Dataset::<f64>::load(&dir).is_err());
    let again = Dataset::<f32>::load_or_generate(&dir, || panic!("must not regenerate")).unwrap();
    assert_eq!(again, d);
    let mut batch = vec![0.0f32; 2 * 30];
    d.train.gather(1, &[2, 0], &mut batch).unwrap();
    assert_eq!(&batch[..30], d.train.state(2, 1));
    assert!(d.train.gather(3, &[0], &mut batch[..30]).is_err());
    assert!(d.train.gather(1, &[5], &mut batch[..30]).is_err());
    assert!(Trajectories::<f32>::new(vec![0.0; 5], 1, 2, vec![3]).is_err());
}

#[test]
fn restriction_takes_odd_indices() {
    let n = 7;
    let fine: Vec<f64> = (0..2 * n * n).map(|i| i as f64).collect();
    let mut coarse = vec![0.0; 2 * 9];
    restrict(&fine, n, &mut coarse);
    assert_eq!(coarse[0], (n + 1) as f64);
    assert_eq!(coarse[9 + 4], (n * n + 3 * n + 3) as f64);
}
