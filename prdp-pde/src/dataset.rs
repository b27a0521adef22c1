//! Trajectory data sets with train/validation splits, kept in memory and saved as `.npy`.

use std::path::Path;

use prdp_core::Real;

use crate::error::check_len;
use crate::grid::shape_string;
use crate::{PdeError, Result, bad_param, read_npy, write_npy};

/// A block of trajectories `[samples, times, *shape]`, row-major: trajectory s is contiguous,
/// state t of it is `state(s, t)` (`shape` is the state's grid or channel shape, e.g. `[30]`,
/// `[30, 30]` or `[3, 48, 48]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Trajectories<T> {
    data: Vec<T>,
    samples: usize,
    times: usize,
    shape: Vec<usize>,
}

impl<T: Real> Trajectories<T> {
    /// Wraps `data` of `samples` trajectories of `times` states of shape `shape`.
    ///
    /// # Errors
    /// [`PdeError::Length`] if the data does not have that many values.
    pub fn new(data: Vec<T>, samples: usize, times: usize, shape: Vec<usize>) -> Result<Self> {
        let len: usize = shape.iter().product();
        check_len("trajectory data", samples * times * len, data.len(), || {
            format!(
                "{samples} samples x {times} times x {}",
                shape_string(&shape)
            )
        })?;
        Ok(Self {
            data,
            samples,
            times,
            shape,
        })
    }

    /// Number of trajectories.
    pub fn samples(&self) -> usize {
        self.samples
    }

    /// States per trajectory (the initial state included).
    pub fn times(&self) -> usize {
        self.times
    }

    /// The shape of one state.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// Values per state.
    pub fn state_len(&self) -> usize {
        self.shape.iter().product()
    }

    /// All values, `[samples, times, *shape]` row-major.
    pub fn as_slice(&self) -> &[T] {
        &self.data
    }

    /// Trajectory `s` (`times · state_len` values).
    ///
    /// # Panics
    /// If `s` is out of range.
    pub fn trajectory(&self, s: usize) -> &[T] {
        let l = self.times * self.state_len();
        &self.data[s * l..(s + 1) * l]
    }

    /// State `t` of trajectory `s`.
    ///
    /// # Panics
    /// If `s` or `t` is out of range.
    pub fn state(&self, s: usize, t: usize) -> &[T] {
        assert!(
            t < self.times,
            "time {t} out of range (trajectories have {} states)",
            self.times
        );
        let n = self.state_len();
        &self.trajectory(s)[t * n..(t + 1) * n]
    }

    /// Copies state `t` of the samples `indices` into `out` (sample-major), e.g. to assemble
    /// a minibatch.
    ///
    /// # Errors
    /// [`PdeError::InvalidArgument`] for an index or time out of range, [`PdeError::Length`]
    /// for a wrong `out` length.
    pub fn gather(&self, t: usize, indices: &[usize], out: &mut [T]) -> Result<()> {
        let n = self.state_len();
        check_len("gather output", indices.len() * n, out.len(), || {
            format!("{} states of {}", indices.len(), shape_string(&self.shape))
        })?;
        if t >= self.times {
            return Err(bad_param("time", t, &format!("< {}", self.times)));
        }
        for (&s, o) in indices.iter().zip(out.chunks_exact_mut(n.max(1))) {
            if s >= self.samples {
                return Err(bad_param("sample index", s, &format!("< {}", self.samples)));
            }
            o.copy_from_slice(self.state(s, t));
        }
        Ok(())
    }

    /// State `t` of every sample, sample-major.
    ///
    /// # Errors
    /// As [`Trajectories::gather`].
    pub fn states_at(&self, t: usize) -> Result<Vec<T>> {
        let idx: Vec<usize> = (0..self.samples).collect();
        let mut out = vec![T::zero(); self.samples * self.state_len()];
        self.gather(t, &idx, &mut out)?;
        Ok(out)
    }

    /// Maps every state through `f(state, new_state)` into states of shape `shape` (e.g. a
    /// restriction to a coarser grid).
    pub fn map_states(&self, shape: Vec<usize>, f: impl Fn(&[T], &mut [T])) -> Self {
        let (n, m) = (self.state_len(), shape.iter().product::<usize>());
        let mut data = vec![T::zero(); self.samples * self.times * m];
        for (s, o) in self
            .data
            .chunks_exact(n.max(1))
            .zip(data.chunks_exact_mut(m.max(1)))
        {
            f(s, o);
        }
        Self {
            data,
            samples: self.samples,
            times: self.times,
            shape,
        }
    }

    /// Saves as one `.npy` array of shape `[samples, times, *shape]`.
    ///
    /// # Errors
    /// [`PdeError::Io`].
    pub fn save_npy(&self, path: &Path) -> Result<()> {
        let mut shape = vec![self.samples, self.times];
        shape.extend_from_slice(&self.shape);
        write_npy(path, &shape, &self.data)
    }

    /// Loads a `.npy` array of shape `[samples, times, *state shape]`.
    ///
    /// # Errors
    /// Those of [`read_npy`]; [`PdeError::Format`] for fewer than three axes.
    pub fn load_npy(path: &Path) -> Result<Self> {
        let (shape, data) = read_npy::<T>(path)?;
        if shape.len() < 3 {
            return Err(PdeError::Format {
                path: path.to_owned(),
                reason: format!("shape {shape:?} is not [samples, times, *state shape]"),
            });
        }
        Self::new(data, shape[0], shape[1], shape[2..].to_vec())
    }
}

/// Training and validation trajectories.
///
/// # Example
/// ```
/// use prdp_pde::{DataSpec, FourierSeries, HeatConfig, heat_dataset};
/// let spec = DataSpec { train: 4, validation: 2, ..DataSpec::default() };
/// let data = heat_dataset::<f32>(&HeatConfig::paper(1), &spec, &FourierSeries::default())?;
/// assert_eq!((data.train.samples(), data.train.times(), data.train.shape()), (4, 3, &[30][..]));
/// let dir = std::env::temp_dir().join("prdp_pde_doc_dataset");
/// data.save(&dir)?;
/// assert_eq!(prdp_pde::Dataset::<f32>::load(&dir)?, data);
/// # Ok::<(), prdp_pde::PdeError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset<T> {
    /// Training trajectories (the paper: 200).
    pub train: Trajectories<T>,
    /// Validation trajectories (the paper: 5).
    pub validation: Trajectories<T>,
}

impl<T: Real> Dataset<T> {
    /// Saves into directory `dir` (created if missing) as `train.npy` and `validation.npy`.
    ///
    /// # Errors
    /// [`PdeError::Io`].
    pub fn save(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|source| PdeError::Io {
            path: dir.to_owned(),
            source,
        })?;
        self.train.save_npy(&dir.join("train.npy"))?;
        self.validation.save_npy(&dir.join("validation.npy"))
    }

    /// Loads a data set saved by [`Dataset::save`].
    ///
    /// # Errors
    /// Those of [`Trajectories::load_npy`]; [`PdeError::Format`] if the two splits' state
    /// shapes differ.
    pub fn load(dir: &Path) -> Result<Self> {
        let train = Trajectories::load_npy(&dir.join("train.npy"))?;
        let validation = Trajectories::load_npy(&dir.join("validation.npy"))?;
        if train.shape != validation.shape {
            return Err(PdeError::Format {
                path: dir.to_owned(),
                reason: format!(
                    "train states have shape {:?}, validation states {:?}",
                    train.shape, validation.shape
                ),
            });
        }
        Ok(Self { train, validation })
    }

    /// Loads the data set from `dir` if it holds one, else generates it with `generate` and
    /// saves it there (so that reruns do not regenerate data).
    ///
    /// # Errors
    /// Those of `generate`, [`Dataset::load`] (for a directory holding an unreadable data set)
    /// and [`Dataset::save`].
    pub fn load_or_generate(dir: &Path, generate: impl FnOnce() -> Result<Self>) -> Result<Self> {
        if dir.join("train.npy").exists() && dir.join("validation.npy").exists() {
            return Self::load(dir);
        }
        let data = generate()?;
        data.save(dir)?;
        Ok(data)
    }
}
