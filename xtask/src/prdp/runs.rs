//! Running many training runs (seeds, sweep points) in parallel, resumably.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use prdp_train::{Experiment, RunOptions, RunRecord, Silent, TrainError};
use rayon::prelude::*;

/// One run of an experiment.
#[derive(Debug, Clone)]
pub struct Run {
    /// Group label: "baseline", "K=4", "PRDP", ….
    pub label: String,
    /// The run's seed.
    pub seed: u64,
    /// The configuration.
    pub experiment: Experiment,
}

impl Run {
    /// The run's directory under `dir`.
    pub fn dir(&self, dir: &Path) -> PathBuf {
        dir.join("runs")
            .join(self.label.replace(['=', ' '], ""))
            .join(format!("seed{}", self.seed))
    }
}

/// Times one interval of the first run (resumably: the run continues from it later) and prints
/// an estimate of the whole batch.
pub fn estimate(runs: &[Run], dir: &Path, data: &Path) -> Result<()> {
    let Some(first) = runs.first() else {
        return Ok(());
    };
    let t = Instant::now();
    let rec = first
        .experiment
        .run(
            &RunOptions {
                dir: Some(first.dir(dir)),
                stop_after: Some(1),
            },
            Some(data),
            &mut Silent,
        )
        .with_context(|| format!("calibrating {}", first.label))?;
    let per_interval = t.elapsed().as_secs_f64();
    let intervals = rec_intervals(&first.experiment);
    let total = per_interval * intervals as f64 * runs.len() as f64
        / rayon::current_num_threads().min(2) as f64;
    eprintln!(
        "{}: {} runs of {intervals} intervals; about {:.1} s per interval at K = {} -> roughly {} (resumable)",
        first.experiment.name,
        runs.len(),
        per_interval,
        rec.final_k(),
        human(total)
    );
    Ok(())
}

fn rec_intervals(e: &Experiment) -> usize {
    e.epochs()
}

/// Seconds as a short human string.
pub fn human(s: f64) -> String {
    if s < 120.0 {
        format!("{s:.0} s")
    } else if s < 7200.0 {
        format!("{:.0} min", s / 60.0)
    } else {
        format!("{:.1} h", s / 3600.0)
    }
}

/// Runs (or resumes) every run, two at a time at most so that each keeps a core, and returns
/// their records in order.
///
/// # Errors
/// The first run that fails, diverged or not.
pub fn run_all(runs: &[Run], dir: &Path, data: &Path) -> Result<Vec<RunRecord>> {
    run_each(runs, dir, data)?
        .into_iter()
        .zip(runs)
        .map(|(outcome, r)| {
            outcome.with_context(|| format!("{} {} seed {}", r.experiment.name, r.label, r.seed))
        })
        .collect()
}

/// Runs (or resumes) every run like [`run_all`], keeping a diverged run's error in its place.
///
/// # Errors
/// The first run that fails for another reason than divergence.
pub fn run_each(
    runs: &[Run],
    dir: &Path,
    data: &Path,
) -> Result<Vec<Result<RunRecord, TrainError>>> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .context("building the run pool")?;
    pool.install(|| {
        runs.par_iter()
            .with_max_len(1)
            .map(|r| {
                let t = Instant::now();
                let outcome = r.experiment.run(
                    &RunOptions {
                        dir: Some(r.dir(dir)),
                        stop_after: None,
                    },
                    Some(data),
                    &mut Silent,
                );
                let what = match &outcome {
                    Ok(rec) => format!(
                        "K_final {:>4}  metric {:.3e}",
                        rec.final_k(),
                        rec.final_metric()
                    ),
                    Err(e) if e.is_divergence() || matches!(e, TrainError::Diverged { .. }) => {
                        format!("diverged: {e}")
                    }
                    Err(e) => {
                        return Err(anyhow::anyhow!("{e}")).with_context(|| {
                            format!("{} {} seed {}", r.experiment.name, r.label, r.seed)
                        });
                    }
                };
                eprintln!(
                    "  {:<14} {:<9} seed {:<6} {what}  ({})",
                    r.experiment.name,
                    r.label,
                    r.seed,
                    human(t.elapsed().as_secs_f64())
                );
                Ok(outcome)
            })
            .collect()
    })
}
