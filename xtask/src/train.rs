//! `cargo xtask train <config.toml>`: one training run from a user's config, data-parallel
//! over MPI ranks when started under `mpirun`.

use std::path::Path;

use anyhow::{Context, Result};
use prdp_train::{Experiment, Progress, Ranks, RunOptions};

/// Reads the experiment, runs (or resumes) it in `out` on `ranks`, and prints its outcome
/// (rank 0).
pub fn run(config: &Path, out: &Path, quiet: bool, ranks: &Ranks) -> Result<()> {
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
                checkpoint_every: crate::prdp::CHECKPOINT_EVERY,
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
