//! `cargo xtask train <config.toml>`: one training run from a user's config, data-parallel
//! over MPI ranks when started under `mpirun`.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use prdp_train::{Experiment, Progress, Ranks, RunOptions};

use crate::cluster::Everywhere;

/// Reads the experiment, runs (or resumes) it in `out` on `ranks` with a checkpoint at least
/// every `checkpoint_every` seconds, and prints its outcome (rank 0).
pub fn run(
    config: &Path,
    out: &Path,
    quiet: bool,
    checkpoint_every: f64,
    ranks: &Ranks,
) -> Result<()> {
    let checkpoint_every = Duration::try_from_secs_f64(checkpoint_every).map_err(|_| {
        Everywhere::error(&format!(
            "--checkpoint-every must be a non-negative number of seconds, not {checkpoint_every}"
        ))
    })?;
    let exp = ranks.agree(Experiment::from_toml_file(config))?;
    let data = out.join("data");
    if ranks.size() > 1 {
        ranks.agree(if ranks.is_root() {
            exp.prepare_data(&data)
        } else {
            Ok(())
        })?;
    }
    let rec = exp
        .run(
            &RunOptions {
                dir: Some(out.to_path_buf()),
                stop_after: None,
                ranks: ranks.clone(),
                checkpoint_every,
            },
            Some(&data),
            &mut Progress::new(quiet),
        )
        .with_context(|| format!("training {}", exp.name))?;
    if ranks.is_root() {
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
    }
    Ok(())
}
