//! Neural IVP and EDNN runs with progress and totals in the log.

use std::time::Instant;

use anyhow::Result;
use neural_ivp::ednn::{self, EdnnConfig, EdnnSolution};
use neural_ivp::problems::Ivp;
use neural_ivp::{
    Checkpointing, NeuralIvp, NeuralIvpConfig, Observer, Silent, Solution, StepRecord,
};
use sha2::{Digest, Sha256};

use crate::neural_ivp::Ctx;

/// Least seconds between two checkpoints of a Neural IVP run.
const CHECKPOINT_EVERY: f64 = 60.0;

/// Solves `problem` with Neural IVP up to `t_end`, with snapshots at `times`; logs progress
/// every 15 s and the run's totals. The run keeps a checkpoint under `checkpoints/` in the
/// output directory (named by a hash of its configuration, problem, horizon and output times),
/// so a killed reproduction resumes it where it stopped.
pub(super) fn run_nivp(
    ctx: &Ctx,
    problem: &dyn Ivp,
    cfg: NeuralIvpConfig,
    t_end: f64,
    times: &[f64],
) -> Result<Solution> {
    let name = problem.name();
    let solver = NeuralIvp::new(cfg)?;
    let mut progress = Progress {
        ctx,
        name: &name,
        t_end,
        start: Instant::now(),
        last: 0.0,
    };
    let key = format!("{:?} | {name} | {t_end:?} | {times:?}", solver.config());
    let ckpt = checkpointing(ctx, &format!("{name}-nivp"), &key);
    let sol = solver.solve_checkpointed(problem, t_end, times, &mut progress, &ckpt)?;
    let r = &sol.record;
    ctx.log.say(&format!(
        "  {name} Neural IVP: p = {}, fit error {:.2e}, {} steps, {} solves, {:.1} CG iterations per solve, {} builds, {} restarts, {:.1} s",
        r.params,
        r.fit.rel_error,
        r.steps.len(),
        r.solves,
        r.cg_iters as f64 / r.solves.max(1) as f64,
        r.builds,
        r.restarts.len(),
        r.wall_seconds
    ));
    Ok(sol)
}

/// Solves `problem` with EDNN (the preset's configuration, residuals also measured on the
/// interior cube of half-width `interior` if not 0) up to `t_end`, with snapshots at `times`;
/// logs the run's totals. Checkpointed like [`run_nivp`].
pub(super) fn run_ednn(
    ctx: &Ctx,
    problem: &dyn Ivp,
    t_end: f64,
    times: &[f64],
    interior: f64,
) -> Result<EdnnSolution> {
    let cfg = EdnnConfig {
        eval_interior: interior,
        ..ctx.preset.ednn(t_end)
    };
    let key = format!("{cfg:?} | {} | {t_end:?} | {times:?}", problem.name());
    let ckpt = checkpointing(ctx, &format!("{}-ednn", problem.name()), &key);
    let sol = ednn::solve_checkpointed(problem, &cfg, t_end, times, &mut Silent, &ckpt)?;
    let r = &sol.record;
    ctx.log.say(&format!(
        "  {} EDNN: p = {}, fit error {:.2e}, {} steps, {:.1} s ({:.1} s in dense solves)",
        problem.name(),
        r.params,
        r.fit.rel_error,
        r.steps.len(),
        r.wall_seconds,
        r.solve_seconds
    ));
    Ok(sol)
}

/// The checkpoint of the run `key` (its configuration, problem, horizon and output times):
/// `checkpoints/<stem>-<hash of key>.ckpt` in the output directory, written at most every
/// [`CHECKPOINT_EVERY`] seconds; says so in the log when the run resumes from it.
fn checkpointing(ctx: &Ctx, stem: &str, key: &str) -> Checkpointing {
    let digest: String = Sha256::digest(key.as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let path = ctx
        .out
        .join("checkpoints")
        .join(format!("{stem}-{digest}.ckpt"));
    if path.exists() {
        ctx.log
            .say(&format!("  {stem}: resuming from {}", path.display()));
    }
    Checkpointing::new(path, CHECKPOINT_EVERY)
}

/// Logs a Neural IVP run's progress at most every 15 s.
struct Progress<'a> {
    ctx: &'a Ctx,
    name: &'a str,
    t_end: f64,
    start: Instant,
    last: f64,
}

impl Observer for Progress<'_> {
    fn step(&mut self, s: &StepRecord) {
        let el = self.start.elapsed().as_secs_f64();
        if el - self.last > 15.0 {
            self.last = el;
            self.ctx.log.say(&format!(
                "  {} Neural IVP: t = {:.4}/{}, CG {:?}, residual {:.2e}",
                self.name,
                s.t,
                self.t_end,
                s.cg_iters,
                s.residual.unwrap_or(f64::NAN)
            ));
        }
    }
}
