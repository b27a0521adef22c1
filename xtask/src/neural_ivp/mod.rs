//! `cargo xtask reproduce neural-ivp [--quick | --medium]`: Neural IVP and EDNN on the paper's problems
//! against finite-difference and exact references; per-problem `summary.json` and figures,
//! a `table.md`, the ablations (preconditioner reuse, warm starts, restarts), the initial-fit
//! study of figure 2, the Fokker–Planck dimension sweep and the cost scaling in p.
//!
//! Results are written per experiment as they finish. As every reproduction, a rerun into the
//! same output directory keeps finished work, at every size: it skips every experiment whose
//! `summary.json` exists and reads back every finished run of the others (`parts.rs`). Not
//! distributed: under MPI, rank 0 runs these experiments and the other ranks wait.

pub(crate) mod advection_control;
mod experiments;
mod overrides;
mod parts;
mod presets;
mod report;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::log::Logger;
use crate::provenance::Provenance;
use crate::{ReproduceOptions, Size};

pub(crate) use presets::Preset;
pub(crate) use report::{Summary, table};

/// The names of every Neural IVP experiment, in order.
pub(crate) fn experiment_names() -> impl Iterator<Item = &'static str> {
    experiments::ALL.iter().map(|e| e.name)
}

/// Runs the Neural IVP experiments `names` (of [`experiment_names`]), on rank 0 only.
pub fn run(names: &[&str], opts: &ReproduceOptions) -> Result<()> {
    if !opts.ranks.is_root() {
        return Ok(());
    }
    let out = opts.out.join("neural-ivp");
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let mut preset = Preset::new(opts.size);
    preset.overrides = overrides::Overrides::parse(&opts.set)?;
    // a bad override fails here, before any experiment runs
    preset.nivp(preset.frequencies, preset.method(false))?;
    let log = Logger::open(&out.join("log.txt"), opts.quiet)?;
    log.say(&format!(
        "neural-ivp reproduction ({} mode) into {}; {}",
        opts.size.name(),
        out.display(),
        match opts.size {
            Size::Quick => "expect about 2 minutes on 2 cores",
            Size::Medium => "expect several hours on 2 cores (the 3D wave alone about an hour); rerun to resume",
            Size::Full => "expect many hours on 2 cores; rerun to resume",
        }
    ));
    let ctx = Ctx {
        out: out.clone(),
        preset,
        log,
        ednn: !opts.no_ednn,
    };
    let selected: Vec<_> = experiments::ALL
        .iter()
        .filter(|e| names.contains(&e.name))
        .collect();
    if opts.no_ednn
        && let Some(e) = selected
            .iter()
            .find(|e| !["advection2d", "heat2d", "wave3d"].contains(&e.name))
    {
        anyhow::bail!(
            "--no-ednn applies to advection2d, heat2d and wave3d; select them with --only (got {})",
            e.name
        );
    }
    let mut summaries = Vec::new();
    for exp in selected {
        let dir = ctx.out.join(exp.name);
        let file = dir.join("summary.json");
        if file.exists() {
            ctx.log.say(&format!(
                "{}: already done, skipping ({})",
                exp.name,
                file.display()
            ));
            let text = std::fs::read_to_string(&file)?;
            summaries.push(serde_json::from_str(&text)?);
            continue;
        }
        std::fs::create_dir_all(&dir)?;
        ctx.log.say(&format!("{}: running", exp.name));
        let t = Instant::now();
        let mut summary =
            (exp.run)(&ctx, &dir).with_context(|| format!("experiment {}", exp.name))?;
        summary.provenance = Some(Provenance::now(opts));
        if !ctx.preset.overrides.is_empty() {
            summary.notes.push(format!(
                "control run: every Neural IVP configuration with {}",
                ctx.preset.overrides.describe()
            ));
        }
        write_json(&file, &summary)?;
        ctx.log.say(&format!(
            "{}: done in {:.0} s",
            exp.name,
            t.elapsed().as_secs_f64()
        ));
        summaries.push(summary);
    }
    report::write_table(&out, &summaries, opts.size)?;
    write_json(&out.join("summary.json"), &summaries)?;
    ctx.log.say(&format!(
        "total {:.0} s; table at {}",
        ctx.log.elapsed(),
        out.join("table.md").display()
    ));
    Ok(())
}

/// What experiments share.
pub(crate) struct Ctx {
    /// The `neural-ivp` output directory.
    pub out: PathBuf,
    /// The sizes of this run.
    pub preset: Preset,
    /// Progress lines.
    pub log: Logger,
    /// Whether the 2D problems and the 3D wave run EDNN.
    pub ednn: bool,
}

#[cfg(test)]
impl Ctx {
    /// A context writing its log into `dir`, for tests.
    pub fn for_tests(dir: &Path, preset: Preset) -> Self {
        std::fs::create_dir_all(dir).expect("test directory");
        Self {
            out: dir.to_path_buf(),
            preset,
            log: Logger::open(&dir.join("log.txt"), true).expect("log file"),
            ednn: true,
        }
    }
}

/// Writes `value` as pretty-printed JSON to `path`.
pub(crate) fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}
