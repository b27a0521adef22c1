//! `cargo xtask train <config.toml>`: one training run from a user's config.

use std::path::Path;

use anyhow::{Context, Result};
use prdp_train::{Experiment, Progress, RunOptions};

/// Reads the experiment, runs (or resumes) it in `out`, and prints its outcome.
pub fn run(config: &Path, out: &Path, quiet: bool) -> Result<()> {
    let exp = Experiment::from_toml_file(config)?;
    let rec = exp
        .run(
            &RunOptions {
                dir: Some(out.to_path_buf()),
                stop_after: None,
            },
            Some(&out.join("data")),
            &mut Progress::new(quiet),
        )
        .with_context(|| format!("training {}", exp.name))?;
    println!(
        "{}: {} update steps, final K {}, final validation metric {:.4e}, cost {} inner iterations, {:.1} s training; record in {}",
        rec.name,
        rec.ledger.update_steps,
        rec.final_k(),
        rec.final_metric(),
        rec.ledger.cost,
        rec.ledger.wall.training(),
        out.join("record.json").display()
    );
    Ok(())
}
