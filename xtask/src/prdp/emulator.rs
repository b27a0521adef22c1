//! One emulator or hybrid experiment: K_ε, the converged baseline, the fixed-K sweep and PRDP
//! over seeds; summary.json, table.md and figures.

use std::path::Path;

use anyhow::{Context, Result};
use prdp_train::presets::{Paper, Plan};
use prdp_train::{
    Experiment, KSchedule, PrdpConfig, RunRecord, ScenarioConfig, TimeScale, TrainError, presets,
    savings,
};
use serde::{Deserialize, Serialize};

use super::figures;
use super::runs::{Run, estimate, run_all, run_each};
use super::stats::mean_std;
use crate::log::Logger;
use crate::provenance::Provenance;
use crate::{ReproduceOptions, Size};

/// Seeds below which no savings figure is printed: one or two seeds give no spread to judge
/// the accuracy against.
pub const MIN_SEEDS: usize = 3;

/// A point of the fixed-K sweep.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SweepPoint {
    /// K.
    pub k: usize,
    /// Final validation metric, mean over seeds.
    pub val_mean: f64,
    /// Its standard deviation.
    pub val_std: f64,
}

/// The exact settings of an experiment's runs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    /// The scenario every run trains (after any rescaling).
    pub scenario: ScenarioConfig,
    /// The PRDP controller.
    pub prdp: PrdpConfig,
    /// Fixed K values of the sweep.
    pub sweep: Vec<usize>,
    /// Largest K tried when searching K_ε.
    pub max_k: usize,
    /// The run's length against the preset's.
    pub time_scale: TimeScale,
    /// Whether PRDP's K₀ was set to the smallest K of the sweep that does not diverge
    /// (`--k0-from-sweep`) instead of the preset's (absent in summaries from before the option:
    /// false).
    #[serde(default)]
    pub k0_from_sweep: bool,
    /// The sweep ran on this many of the first seeds only (`--sweep-seeds`; absent: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sweep_seeds: Option<usize>,
}

/// Whether PRDP reached the accuracy its savings are compared at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Accuracy {
    /// PRDP's mean final validation error is within the baseline's mean + 1 std, over at least
    /// [`MIN_SEEDS`] seeds.
    Matched,
    /// PRDP's mean final error is above the baseline's mean + 1 std.
    NotMatched,
    /// Fewer than [`MIN_SEEDS`] seeds: no spread to judge against.
    TooFewSeeds,
}

impl Accuracy {
    /// The verdict for final errors of `seeds` seeds.
    pub fn judge(seeds: usize, baseline: (f64, f64), prdp: f64) -> Self {
        if seeds < MIN_SEEDS {
            Self::TooFewSeeds
        } else if prdp <= baseline.0 + baseline.1 {
            Self::Matched
        } else {
            Self::NotMatched
        }
    }
}

/// What `summary.json` holds for an emulator or hybrid experiment. Fractions are in [0, 1];
/// costs are in inner iterations (Σ over update steps of K).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    /// Experiment name.
    pub experiment: String,
    /// Seeds run.
    pub seeds: Vec<u64>,
    /// Whether this is the quick preset.
    pub quick: bool,
    /// How the setting departs from the paper's.
    pub note: String,
    /// K_ε: first K whose mean relative residual over the training inputs is below ε = 1e-5.
    pub k_eps: usize,
    /// K at the end of the PRDP runs, mean over seeds.
    pub k_max: f64,
    /// The same per seed.
    pub k_max_per_seed: Vec<usize>,
    /// Cost of the converged baseline.
    pub cost_baseline: f64,
    /// Cost of PRDP, mean over seeds.
    pub cost_prdp: f64,
    /// 1 − cost_prdp / cost_baseline.
    pub savings_total: f64,
    /// Progressive-refinement savings.
    pub savings_pr: f64,
    /// Incomplete-convergence savings, 1 − K_max / K_ε.
    pub savings_ic: f64,
    /// Savings in primal iterations actually spent (solves stop early at ε).
    pub savings_primal_iters: f64,
    /// Final validation metric of the baseline, mean over seeds.
    pub val_baseline_mean: f64,
    /// Its standard deviation.
    pub val_baseline_std: f64,
    /// Final validation metric of PRDP, mean over seeds.
    pub val_prdp_mean: f64,
    /// Its standard deviation.
    pub val_prdp_std: f64,
    /// Training wall time of the baseline (validation excluded), mean over seeds, seconds.
    pub wall_baseline_s: f64,
    /// Training wall time of PRDP, seconds.
    pub wall_prdp_s: f64,
    /// 1 − wall_prdp / wall_baseline.
    pub savings_wall: f64,
    /// Physics share of the baseline's training time.
    pub physics_share_baseline: f64,
    /// The fixed-K sweep.
    pub sweep: Vec<SweepPoint>,
    /// Whether PRDP matched the baseline's accuracy (savings count only then).
    pub accuracy: Accuracy,
    /// The paper's figures.
    pub paper: Paper,
    /// The exact settings.
    pub settings: Settings,
    /// Where and how the numbers were made.
    pub provenance: Provenance,
}

/// Runs the plan and writes its outputs to `opts.out/<name>/`.
pub fn run(plan: &Plan, opts: &ReproduceOptions, log: &Logger) -> Result<Summary> {
    let dir = opts.out.join(plan.name);
    let data = opts.out.join("data");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let base = Experiment {
        name: plan.name.to_owned(),
        seed: 0,
        schedule: KSchedule::Fixed { k: 1 },
        scenario: plan.scenario.clone(),
    };
    let ranks = &opts.ranks;
    let root = ranks.is_root();
    if root {
        log.say(&format!(
            "{}: generating data and computing K_eps",
            plan.name
        ));
    }
    // Rank 0 makes the data (the other ranks then read it from the cache) and K_eps.
    let computed = if root {
        k_epsilon(plan, &base, &data, &dir).map_err(|e| TrainError::Rank {
            rank: 0,
            message: format!("{e:#}"),
            diverged: false,
        })
    } else {
        Ok(0)
    };
    let mut k_bytes = ranks.agree(computed)?.to_le_bytes().to_vec();
    ranks.broadcast_bytes(&mut k_bytes);
    let k_eps = usize::from_le_bytes(k_bytes.try_into().expect("a usize"));
    if root {
        log.say(&format!("{}: K_eps = {k_eps}", plan.name));
    }

    let run = |label: String, seed: u64, schedule: KSchedule| Run {
        label,
        seed,
        experiment: Experiment {
            seed,
            schedule,
            ..base.clone()
        },
    };
    let mut runs = Vec::new();
    for (i, &seed) in plan.seeds.iter().enumerate() {
        runs.push(run("baseline".into(), seed, KSchedule::Fixed { k: k_eps }));
        if opts.sweep_seeds.is_some_and(|n| i >= n) {
            continue;
        }
        for &k in plan.sweep.iter().filter(|&&k| k < k_eps) {
            runs.push(run(format!("K={k}"), seed, KSchedule::Fixed { k }));
        }
    }
    let mut plan = plan.clone();
    if opts.k0_from_sweep {
        plan.prdp.k0 = smallest_stable_k(
            &plan,
            k_eps,
            &runs,
            &run_each(&runs, &dir, &data, ranks, log)?,
        )?;
        if root {
            log.say(&format!(
                "{}: K0 = {} (the smallest K of the sweep that does not diverge)",
                plan.name, plan.prdp.k0
            ));
        }
    }
    let plan = &plan;
    for &seed in &plan.seeds {
        runs.push(run("PRDP".into(), seed, KSchedule::Prdp(plan.prdp.clone())));
    }
    if opts.size != Size::Quick && ranks.size() == 1 {
        estimate(&runs, &dir, &data, log)?;
    }
    let records = run_all(&runs, &dir, &data, ranks, log)?;
    let group = |label: &str| -> Vec<&RunRecord> {
        runs.iter()
            .zip(&records)
            .filter(|(r, _)| r.label == label)
            .map(|(_, rec)| rec)
            .collect()
    };
    let (baseline, prdp) = (group("baseline"), group("PRDP"));
    let summary = summarise(plan, k_eps, &baseline, &prdp, &runs, &records, opts);
    if root {
        std::fs::write(
            dir.join("summary.json"),
            serde_json::to_vec_pretty(&summary)?,
        )?;
        std::fs::write(dir.join("table.md"), table(&[&summary]))?;
        figures::emulator(
            &dir,
            plan.name,
            k_eps,
            &baseline,
            &prdp,
            &sweep_groups(plan, k_eps, &runs, &records),
        )?;
    }
    Ok(summary)
}

/// Generates the data (into the cache `data`) and computes K_eps, writing the residuals to
/// `dir/k_epsilon.json`.
fn k_epsilon(plan: &Plan, base: &Experiment, data: &Path, dir: &Path) -> Result<usize> {
    let ke = base.k_epsilon(Some(data), plan.max_k, presets::EPSILON)?;
    let k_eps = ke.k.with_context(|| {
        format!(
            "{}: the solver does not reach 1e-5 within {} iterations",
            plan.name, plan.max_k
        )
    })?;
    std::fs::write(
        dir.join("k_epsilon.json"),
        serde_json::to_vec_pretty(&ke.mean_rel_residual)?,
    )?;
    Ok(k_eps)
}

/// Whether a run trained without diverging: it finished, and its final validation error is
/// finite and no larger than the untrained network's.
fn stable(outcome: &Result<RunRecord, TrainError>) -> bool {
    outcome.as_ref().is_ok_and(|r| {
        r.intervals
            .first()
            .is_some_and(|i| trained(i.validation.metric, r.final_metric()))
    })
}

/// A final error that is finite and no larger than the untrained one.
fn trained(untrained: f64, end: f64) -> bool {
    end.is_finite() && end <= untrained
}

/// The smallest K of the sweep whose runs are stable for every seed (`--k0-from-sweep`).
fn smallest_stable_k(
    plan: &Plan,
    k_eps: usize,
    runs: &[Run],
    outcomes: &[Result<RunRecord, TrainError>],
) -> Result<usize> {
    let mut ks: Vec<usize> = plan.sweep.iter().copied().filter(|&k| k < k_eps).collect();
    ks.sort_unstable();
    ks.into_iter()
        .find(|&k| {
            let label = format!("K={k}");
            runs.iter()
                .zip(outcomes)
                .filter(|(r, _)| r.label == label)
                .all(|(_, o)| stable(o))
        })
        .with_context(|| {
            format!(
                "{}: --k0-from-sweep: every K of the sweep {:?} diverges for some seed",
                plan.name, plan.sweep
            )
        })
}

fn sweep_groups<'a>(
    plan: &Plan,
    k_eps: usize,
    runs: &[Run],
    records: &'a [RunRecord],
) -> Vec<(usize, Vec<&'a RunRecord>)> {
    plan.sweep
        .iter()
        .filter(|&&k| k < k_eps)
        .map(|&k| {
            let label = format!("K={k}");
            (
                k,
                runs.iter()
                    .zip(records)
                    .filter(|(r, _)| r.label == label)
                    .map(|(_, rec)| rec)
                    .collect(),
            )
        })
        .collect()
}

fn summarise(
    plan: &Plan,
    k_eps: usize,
    baseline: &[&RunRecord],
    prdp: &[&RunRecord],
    runs: &[Run],
    records: &[RunRecord],
    opts: &ReproduceOptions,
) -> Summary {
    let costs = |g: &[&RunRecord]| g.iter().map(|r| r.ledger.cost as f64).collect::<Vec<_>>();
    let finals = |g: &[&RunRecord]| g.iter().map(|r| r.final_metric()).collect::<Vec<_>>();
    let walls = |g: &[&RunRecord]| {
        g.iter()
            .map(|r| r.ledger.wall.training())
            .collect::<Vec<_>>()
    };
    let per_seed: Vec<_> = baseline
        .iter()
        .zip(prdp)
        .map(|(b, p)| savings(p.ledger.cost, b.ledger.cost, p.final_k(), k_eps))
        .collect();
    let primal = baseline
        .iter()
        .zip(prdp)
        .map(|(b, p)| {
            1.0 - p.ledger.solver.primal_iters as f64 / b.ledger.solver.primal_iters.max(1) as f64
        })
        .collect::<Vec<_>>();
    let (vb, vbs) = mean_std(&finals(baseline));
    let (vp, vps) = mean_std(&finals(prdp));
    let (wb, wp) = (mean_std(&walls(baseline)).0, mean_std(&walls(prdp)).0);
    let share = baseline
        .iter()
        .map(|r| {
            (r.ledger.wall.physics_forward + r.ledger.wall.physics_backward)
                / r.ledger.wall.training().max(1e-12)
        })
        .collect::<Vec<_>>();
    let k_max_per_seed: Vec<usize> = prdp.iter().map(|r| r.final_k()).collect();
    Summary {
        experiment: plan.name.to_owned(),
        seeds: plan.seeds.clone(),
        quick: opts.size == Size::Quick,
        note: plan.note.to_owned(),
        k_eps,
        k_max: mean_std(&k_max_per_seed.iter().map(|&k| k as f64).collect::<Vec<_>>()).0,
        k_max_per_seed,
        cost_baseline: mean_std(&costs(baseline)).0,
        cost_prdp: mean_std(&costs(prdp)).0,
        savings_total: mean_std(&per_seed.iter().map(|s| s.total).collect::<Vec<_>>()).0,
        savings_pr: mean_std(&per_seed.iter().map(|s| s.pr).collect::<Vec<_>>()).0,
        savings_ic: mean_std(&per_seed.iter().map(|s| s.ic).collect::<Vec<_>>()).0,
        savings_primal_iters: mean_std(&primal).0,
        val_baseline_mean: vb,
        val_baseline_std: vbs,
        val_prdp_mean: vp,
        val_prdp_std: vps,
        wall_baseline_s: wb,
        wall_prdp_s: wp,
        savings_wall: 1.0 - wp / wb,
        physics_share_baseline: mean_std(&share).0,
        sweep: sweep_groups(plan, k_eps, runs, records)
            .into_iter()
            .map(|(k, g)| {
                let (m, s) = mean_std(&finals(&g));
                SweepPoint {
                    k,
                    val_mean: m,
                    val_std: s,
                }
            })
            .collect(),
        accuracy: Accuracy::judge(baseline.len(), (vb, vbs), vp),
        paper: plan.paper,
        settings: Settings {
            scenario: plan.scenario.clone(),
            prdp: plan.prdp.clone(),
            sweep: plan.sweep.clone(),
            max_k: plan.max_k,
            time_scale: plan.time_scale,
            k0_from_sweep: opts.k0_from_sweep,
            sweep_seeds: opts.sweep_seeds,
        },
        provenance: Provenance::now(opts),
    }
}

fn pct(v: f64) -> String {
    format!("{:.0}%", 100.0 * v)
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or("–".into(), |v| v.to_string())
}

/// `v` to `digits` significant digits (fixed notation from 1e-3 up, scientific below).
fn sig(v: f64, digits: usize) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let magnitude = v.abs().log10().floor() as i32;
    if magnitude < -3 {
        return format!("{v:.*e}", digits - 1);
    }
    let decimals = (digits as i32 - 1 - magnitude).max(0) as usize;
    format!("{v:.decimals$}")
}

/// A mean ± std over seeds, or the single value with "(1 seed)".
fn spread(mean: f64, std: f64, seeds: usize) -> String {
    if seeds == 1 {
        format!("{} (1 seed)", sig(mean, 3))
    } else {
        format!("{} ± {}", sig(mean, 3), sig(std, 2))
    }
}

/// The Markdown table of one or more experiments: ours beside the paper's. Savings stand as
/// figures only where PRDP matched the baseline's accuracy; otherwise they are bracketed behind
/// the reason.
pub fn table(summaries: &[&Summary]) -> String {
    let mut s = String::from(
        "| experiment | seeds | K_ε | K_max | total savings | PR | IC | val. baseline | val. PRDP | wall savings (physics share) |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    for m in summaries {
        let n = m.seeds.len();
        let (total, pr, ic) = (pct(m.savings_total), pct(m.savings_pr), pct(m.savings_ic));
        let savings = match m.accuracy {
            Accuracy::Matched => [total, pr, ic],
            Accuracy::NotMatched => [
                format!("accuracy not matched ({total})"),
                format!("({pr})"),
                format!("({ic})"),
            ],
            Accuracy::TooFewSeeds => [
                format!(
                    "{n} seed{}: no verdict ({total})",
                    if n == 1 { "" } else { "s" }
                ),
                format!("({pr})"),
                format!("({ic})"),
            ],
        };
        s += &format!(
            "| {} | {n} | {} | {:.1} | {} | {} | {} | {} | {} | {} ({}) |\n",
            m.experiment,
            m.k_eps,
            m.k_max,
            savings[0],
            savings[1],
            savings[2],
            spread(m.val_baseline_mean, m.val_baseline_std, n),
            spread(m.val_prdp_mean, m.val_prdp_std, n),
            pct(m.savings_wall),
            pct(m.physics_share_baseline),
        );
        let p = &m.paper;
        let val = |v: Option<(f64, f64)>| v.map_or("–".into(), |(a, b)| format!("{a} ± {b}"));
        s += &format!(
            "| *paper* | 10 | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            opt(p.k_eps),
            opt(p.k_max),
            p.total.map_or("–".into(), pct),
            p.pr.map_or("–".into(), pct),
            p.ic.map_or("–".into(), pct),
            val(p.val_baseline),
            val(p.val_prdp),
            p.wall.map_or("–".into(), pct),
        );
    }
    s += &format!(
        "\nValidation error: eq. 56 (nMSE at the rollout step of the experiment), final epoch, mean ± std over seeds. Savings in inner iterations (Σ over update steps of K) against the converged baseline K_ε; they stand as figures only where PRDP's mean error is within the baseline's mean + 1 std over at least {MIN_SEEDS} seeds, and in brackets otherwise. Wall: training time, validation excluded; physics share: of the baseline's training time.\n"
    );
    for m in summaries {
        s += &format!(
            "\n{}: {}{}; {}{}.\n",
            m.experiment,
            m.note,
            if m.quick { " (quick preset)" } else { "" },
            m.settings.time_scale.describe(),
            if m.settings.k0_from_sweep {
                format!(
                    "; K₀ = {}, the smallest K of the sweep that does not diverge (--k0-from-sweep; preset: a fixed K₀)",
                    m.settings.prdp.k0
                )
            } else {
                String::new()
            },
        );
        if let Some(n) = m.settings.sweep_seeds {
            let first = if n == 1 {
                "seed".to_owned()
            } else {
                format!("{n} seeds")
            };
            s += &format!(
                "The fixed-K sweep ran on the first {first} only (--sweep-seeds); the baseline and PRDP on all {}.\n",
                m.seeds.len()
            );
        }
    }
    s
}

/// Writes the combined table of several experiments.
pub fn write_combined(out: &Path, summaries: &[Summary]) -> Result<()> {
    let refs: Vec<&Summary> = summaries.iter().collect();
    std::fs::write(out.join("table.md"), table(&refs))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_counts_as_diverged_unless_it_ends_finite_and_below_its_start() {
        assert!(trained(1.0, 0.2));
        assert!(trained(1.0, 1.0));
        assert!(!trained(1.0, 18.0));
        assert!(!trained(1.0, f64::NAN));
        assert!(!trained(1.0, f64::INFINITY));
        let diverged: Result<RunRecord, TrainError> = Err(TrainError::Diverged {
            step: 3,
            k: 1,
            detail: "the loss is NaN".into(),
        });
        assert!(!stable(&diverged));
    }

    #[test]
    fn savings_stand_only_at_matched_accuracy_over_three_seeds() {
        assert_eq!(Accuracy::judge(3, (0.5, 0.25), 0.75), Accuracy::Matched);
        assert_eq!(Accuracy::judge(10, (0.5, 0.25), 0.2), Accuracy::Matched);
        assert_eq!(Accuracy::judge(3, (0.5, 0.25), 0.76), Accuracy::NotMatched);
        assert_eq!(Accuracy::judge(2, (0.5, 0.25), 0.1), Accuracy::TooFewSeeds);
    }

    #[test]
    fn one_seed_has_no_spread_and_small_values_keep_their_digits() {
        assert_eq!(spread(0.0213, 0.0, 1), "0.0213 (1 seed)");
        assert_eq!(spread(0.0309, 0.0054, 10), "0.0309 ± 0.0054");
        assert_eq!(spread(3.38, 0.12, 3), "3.38 ± 0.12");
        assert_eq!(sig(4.8e-6, 2), "4.8e-6");
    }
}
