//! Running many training runs (seeds, sweep points) in parallel, resumably.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use prdp_train::{Experiment, KSchedule, Ranks, RunOptions, RunRecord, Silent, TrainError};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::log::Logger;

/// The least wall time between two checkpoints of a run: a run of short intervals (heat 1D:
/// milliseconds) would otherwise spend most of its time creating checkpoint files, and a
/// killed run loses at most this much work.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

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
pub fn estimate(runs: &[Run], dir: &Path, data: &Path, log: &Logger) -> Result<()> {
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
                ..RunOptions::default()
            },
            Some(data),
            &mut Silent,
        )
        .with_context(|| format!("calibrating {}", first.label))?;
    let per_interval = t.elapsed().as_secs_f64();
    let intervals = rec_intervals(&first.experiment);
    let total = per_interval * intervals as f64 * runs.len() as f64
        / rayon::current_num_threads().min(2) as f64;
    log.say(&format!(
        "{}: {} runs of {intervals} intervals; about {:.1} s per interval at K = {} -> roughly {} (resumable)",
        first.experiment.name,
        runs.len(),
        per_interval,
        rec.final_k(),
        human(total)
    ));
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

/// Runs (or resumes) every run, two at a time at most per process so that each keeps a core,
/// spread over `ranks` ([`assign`]), and returns every record in order on every rank.
///
/// # Errors
/// The first run that fails, diverged or not.
pub fn run_all(
    runs: &[Run],
    dir: &Path,
    data: &Path,
    ranks: &Ranks,
    log: &Logger,
) -> Result<Vec<RunRecord>> {
    run_each(runs, dir, data, ranks, log)?
        .into_iter()
        .zip(runs)
        .map(|(outcome, r)| {
            outcome.with_context(|| format!("{} {} seed {}", r.experiment.name, r.label, r.seed))
        })
        .collect()
}

/// A run's outcome as it travels between ranks.
#[derive(Serialize, Deserialize)]
enum Outcome {
    Record(Box<RunRecord>),
    Diverged(String),
}

/// Runs (or resumes) every run like [`run_all`], keeping a diverged run's error in its place.
/// Each rank runs the runs [`assign`] gives it, longest expected first; the outcomes are then
/// exchanged so that every rank returns all of them (a diverged run of another rank as
/// [`TrainError::Rank`]).
///
/// # Errors
/// The first run that fails for another reason than divergence, on any rank.
pub fn run_each(
    runs: &[Run],
    dir: &Path,
    data: &Path,
    ranks: &Ranks,
    log: &Logger,
) -> Result<Vec<Result<RunRecord, TrainError>>> {
    // A finished run (its record written) costs nothing to resume, so a rerun balances what is
    // left. Rank 0 looks, so that every rank computes the same assignment.
    let mut finished: Vec<u8> = runs
        .iter()
        .map(|r| u8::from(r.dir(dir).join("record.json").is_file()))
        .collect();
    ranks.broadcast_bytes(&mut finished);
    let costs: Vec<f64> = expected_costs(runs)
        .into_iter()
        .zip(&finished)
        .map(|(c, &f)| if f == 1 { 0.0 } else { c })
        .collect();
    let owner = assign(&costs, ranks.size());
    // This rank's runs, longest expected first: the baselines and PRDP before the sweep, so
    // that an interrupted job has finished the runs its summary needs most.
    let mut mine: Vec<usize> = (0..runs.len())
        .filter(|&i| owner[i] == ranks.rank())
        .collect();
    mine.sort_by(|&a, &b| costs[b].total_cmp(&costs[a]).then(a.cmp(&b)));
    let threads = rayon::current_num_threads().min(2);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .context("building the run pool")?;
    let tag = if ranks.size() > 1 {
        format!("[rank {}] ", ranks.rank())
    } else {
        String::new()
    };
    let local: Result<Vec<_>> = pool.install(|| {
        mine.par_iter()
            .with_max_len(1)
            .map(|&i| run_one(&runs[i], dir, data, &tag, log))
            .collect()
    });
    let local = ranks.agree(local.map_err(|e| TrainError::Rank {
        rank: ranks.rank(),
        message: format!("{e:#}"),
        diverged: false,
    }))?;
    let mut all: Vec<Option<Result<RunRecord, TrainError>>> = runs.iter().map(|_| None).collect();
    if ranks.size() == 1 {
        for (&i, o) in mine.iter().zip(local) {
            all[i] = Some(o);
        }
    } else {
        let sent: Vec<(usize, Outcome)> = mine
            .iter()
            .zip(local)
            .map(|(&i, o)| {
                let o = match o {
                    Ok(rec) => Outcome::Record(Box::new(rec)),
                    Err(e) => Outcome::Diverged(e.to_string()),
                };
                (i, o)
            })
            .collect();
        for bytes in ranks.all_gather_bytes(&serde_json::to_vec(&sent)?) {
            for (i, o) in serde_json::from_slice::<Vec<(usize, Outcome)>>(&bytes)? {
                all[i] = Some(match o {
                    Outcome::Record(rec) => Ok(*rec),
                    Outcome::Diverged(message) => Err(TrainError::Rank {
                        rank: owner[i],
                        message,
                        diverged: true,
                    }),
                });
            }
        }
    }
    Ok(all
        .into_iter()
        .map(|o| o.expect("every run has an owner"))
        .collect())
}

/// Runs (or resumes) one run and prints its outcome; a diverged run is an outcome, any other
/// failure an error.
fn run_one(
    r: &Run,
    dir: &Path,
    data: &Path,
    tag: &str,
    log: &Logger,
) -> Result<Result<RunRecord, TrainError>> {
    let t = Instant::now();
    let outcome = r.experiment.run(
        &RunOptions {
            dir: Some(r.dir(dir)),
            stop_after: None,
            checkpoint_every: CHECKPOINT_EVERY,
            ..RunOptions::default()
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
            return Err(anyhow::anyhow!("{e}"))
                .with_context(|| format!("{} {} seed {}", r.experiment.name, r.label, r.seed));
        }
    };
    log.say(&format!(
        "  {tag}{:<14} {:<9} seed {:<6} {what}  ({})",
        r.experiment.name,
        r.label,
        r.seed,
        human(t.elapsed().as_secs_f64())
    ));
    Ok(outcome)
}

/// The expected cost of each run, in units of update steps: a step costs the network (taken
/// as much as the physics at the largest fixed K of the batch) plus the physics at the run's K
/// (PRDP: half that largest K, as its K climbs towards K_ε over the run).
fn expected_costs(runs: &[Run]) -> Vec<f64> {
    let fixed_k = |r: &Run| match r.experiment.schedule {
        KSchedule::Fixed { k } => Some(k as f64),
        _ => None,
    };
    let top = runs.iter().filter_map(fixed_k).fold(1.0, f64::max);
    runs.iter()
        .map(|r| {
            let k = fixed_k(r).unwrap_or(top / 2.0);
            r.experiment.scenario.update_steps() as f64 * (1.0 + k / top)
        })
        .collect()
}

/// The rank of each run: longest expected run first (ties in run order), each to the rank
/// with the least expected work so far (ties to the lowest rank). Deterministic, so every rank
/// computes the same assignment.
pub fn assign(costs: &[f64], ranks: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..costs.len()).collect();
    order.sort_by(|&a, &b| costs[b].total_cmp(&costs[a]).then(a.cmp(&b)));
    let mut load = vec![0.0f64; ranks];
    let mut owner = vec![0; costs.len()];
    for i in order {
        let r = (0..ranks)
            .min_by(|&a, &b| load[a].total_cmp(&load[b]).then(a.cmp(&b)))
            .expect("at least one rank");
        owner[i] = r;
        load[r] += costs[i];
    }
    owner
}

#[cfg(test)]
mod tests {
    use super::assign;

    /// Longest first to the least-loaded rank: balanced, deterministic, every rank used.
    #[test]
    fn assignment_balances_expected_cost() {
        let costs = [10.0, 1.0, 7.0, 3.0, 3.0, 6.0];
        let owner = assign(&costs, 2);
        assert_eq!(owner, vec![0, 1, 1, 0, 0, 1]);
        let load = |r| -> f64 { (0..6).filter(|&i| owner[i] == r).map(|i| costs[i]).sum() };
        assert_eq!((load(0), load(1)), (16.0, 14.0));
        assert_eq!(assign(&costs, 1), vec![0; 6]);
        assert!(assign(&costs, 3).contains(&2));
    }
}
