//! Reference data sets: random initial conditions rolled out with the converged physics.

use prdp_core::Real;
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{
    Assembly, Burgers1d, BurgersConfig, Dataset, FourierSeries, Heat, HeatConfig, NavierStokes,
    NavierStokesConfig, NsInitialConditions, ReferenceStepper, Result, Trajectories, bad_param,
    sample_rng,
};

/// How many trajectories to generate and how long: samples `0..train` form the training split,
/// `train..train + validation` the validation split; sample i draws its initial condition from
/// [`sample_rng`]`(seed, i)`. Defaults: the paper's 200 + 5 samples, 2 steps each (heat, F.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DataSpec {
    /// Seed of every sample's random stream.
    pub seed: u64,
    /// Number of training trajectories.
    pub train: usize,
    /// Number of validation trajectories.
    pub validation: usize,
    /// Steps per training trajectory (states = steps + 1).
    pub train_steps: usize,
    /// Steps per validation trajectory.
    pub validation_steps: usize,
}

impl Default for DataSpec {
    fn default() -> Self {
        Self {
            seed: 0,
            train: 200,
            validation: 5,
            train_steps: 2,
            validation_steps: 2,
        }
    }
}

impl DataSpec {
    /// Burgers (F.3): 200 + 5 samples, 2 training steps, 5 validation steps (PRDP monitors the
    /// validation error at t = 5).
    pub fn paper_burgers() -> Self {
        Self {
            validation_steps: 5,
            ..Self::default()
        }
    }

    /// Navier–Stokes (F.4): 200 + 5 samples, 5 steps each.
    pub fn paper_navier_stokes() -> Self {
        Self {
            train_steps: 5,
            validation_steps: 5,
            ..Self::default()
        }
    }
}

/// Generates a data set by rolling out `stepper` from the initial conditions `ic(rng)`, in
/// parallel over samples. The data is identical bit for bit for a given seed whatever the number
/// of threads.
///
/// # Errors
/// [`crate::PdeError::InvalidArgument`] for an empty split; those of `ic` and of the direct
/// solves.
pub fn generate<T: Real, A: Assembly<T>>(
    stepper: &ReferenceStepper<T, A>,
    spec: &DataSpec,
    ic: impl Fn(&mut ChaCha20Rng) -> Result<Vec<T>> + Sync,
) -> Result<Dataset<T>> {
    if spec.train == 0 || spec.validation == 0 {
        return Err(bad_param(
            "train/validation",
            format!("{}/{}", spec.train, spec.validation),
            "at least one sample in each split",
        ));
    }
    let shape = stepper.assembly().state_shape();
    let split = |first: usize, count: usize, steps: usize| -> Result<Trajectories<T>> {
        let n = stepper.assembly().state_len();
        let mut data = vec![T::zero(); count * (steps + 1) * n];
        let results: Vec<Result<()>> = data
            .par_chunks_mut((steps + 1) * n)
            .enumerate()
            .map(|(i, traj)| {
                let u0 = ic(&mut sample_rng(spec.seed, first + i))?;
                stepper.rollout_one(&u0, steps, traj)
            })
            .collect();
        results.into_iter().collect::<Result<()>>()?;
        Trajectories::new(data, count, steps + 1, shape.clone())
    };
    Ok(Dataset {
        train: split(0, spec.train, spec.train_steps)?,
        validation: split(spec.train, spec.validation, spec.validation_steps)?,
    })
}

fn convert<T: Real>(d: Dataset<f64>) -> Dataset<T> {
    let conv = |t: Trajectories<f64>| {
        let (s, tm, sh) = (t.samples(), t.times(), t.shape().to_vec());
        let data = t.as_slice().iter().map(|v| T::of(*v)).collect();
        Trajectories::new(data, s, tm, sh).expect("same shape")
    };
    Dataset {
        train: conv(d.train),
        validation: conv(d.validation),
    }
}

/// Heat data set (F.2): Fourier initial conditions `ic` (the paper: 5 modes,
/// [`FourierSeries::default`]) on the grid of `config`, rolled out with direct BTCS steps (computed in f64, stored as `T`).
///
/// # Errors
/// Invalid settings; as [`generate`].
pub fn heat_dataset<T: Real>(
    config: &HeatConfig,
    spec: &DataSpec,
    ic: &FourierSeries,
) -> Result<Dataset<T>> {
    let stepper = ReferenceStepper::new(Heat::<f64>::new(config.clone())?)?;
    let d = generate(&stepper, spec, |rng| {
        Ok(ic.sample(rng, &config.dims, config.boundary))
    })?;
    Ok(convert(d))
}

/// Burgers 1D data set (F.3): Fourier initial conditions with `modes` modes (the paper: 20),
/// rolled out with direct Oseen steps (f64, stored as `T`).
///
/// # Errors
/// Invalid settings; as [`generate`].
pub fn burgers_dataset<T: Real>(
    config: &BurgersConfig,
    spec: &DataSpec,
    modes: usize,
) -> Result<Dataset<T>> {
    let stepper = ReferenceStepper::new(Burgers1d::<f64>::new(config.clone())?)?;
    let ic = FourierSeries {
        modes,
        ..FourierSeries::default()
    };
    let d = generate(&stepper, spec, |rng| {
        Ok(ic.sample(rng, &[config.n], prdp_core::Boundary::Periodic))
    })?;
    Ok(convert(d))
}

/// The Navier–Stokes data of F.4: trajectories on the fine (reference) grid and the same
/// trajectories restricted to the coarse (source) grid.
#[derive(Debug, Clone, PartialEq)]
pub struct NsDatasets<T> {
    /// Fine-grid trajectories (97×97 in the paper).
    pub fine: Dataset<T>,
    /// The same restricted by [`restrict`] (48×48).
    pub coarse: Dataset<T>,
}

/// Navier–Stokes data sets (F.4): random initial velocities ([`NsInitialConditions`] with the
/// filter strength `filter_nu_dt`, 3e-3 in the paper) on the grid of `fine`, rolled out with
/// direct steps (f64), then restricted to the coarse grid with [`restrict`].
///
/// # Errors
/// Invalid settings; as [`generate`].
pub fn navier_stokes_dataset<T: Real>(
    fine: &NavierStokesConfig,
    spec: &DataSpec,
    filter_nu_dt: f64,
) -> Result<NsDatasets<T>> {
    let stepper = ReferenceStepper::new(NavierStokes::<f64>::new(fine.clone())?)?;
    let ics = NsInitialConditions::new(fine, filter_nu_dt)?;
    let d = generate(&stepper, spec, |rng| ics.sample(rng))?;
    let nf = fine.n;
    let nc = nf / 2;
    let coarse_shape = vec![3, nc, nc];
    let coarse = Dataset {
        train: d
            .train
            .map_states(coarse_shape.clone(), |f, c| restrict(f, nf, c)),
        validation: d
            .validation
            .map_states(coarse_shape, |f, c| restrict(f, nf, c)),
    };
    Ok(NsDatasets {
        fine: convert(d),
        coarse: convert(coarse),
    })
}

/// Restricts a state of channels of n_f×n_f grids to ⌊n_f/2⌋×⌊n_f/2⌋ by taking every second
/// point starting at index 1 in both axes, as the reference code does (`[1::2, 1::2]`).
///
/// With odd n_f (97 in the paper) the kept points are not a periodic lattice (the wrap-around
/// gap is 3 fine cells instead of 2), and the fine grid's staggered positions do not coincide
/// with the coarse grid's; the learned corrector absorbs this (see
/// `shared/notes/prdp-reference.md`, section 5.4).
///
/// # Panics
/// If `fine` is not a whole number of n_f×n_f channels or `coarse` does not hold the same
/// number of coarse channels.
pub fn restrict<T: Real>(fine: &[T], n_fine: usize, coarse: &mut [T]) {
    let nc = n_fine / 2;
    let channels = fine.len() / (n_fine * n_fine);
    assert!(
        fine.len() == channels * n_fine * n_fine && coarse.len() == channels * nc * nc,
        "restrict: {} fine values are not channels of {n_fine}x{n_fine}, or {} coarse values do not match",
        fine.len(),
        coarse.len()
    );
    for c in 0..channels {
        let f = &fine[c * n_fine * n_fine..(c + 1) * n_fine * n_fine];
        let o = &mut coarse[c * nc * nc..(c + 1) * nc * nc];
        for i in 0..nc {
            for j in 0..nc {
                o[i * nc + j] = f[(2 * i + 1) * n_fine + 2 * j + 1];
            }
        }
    }
}
