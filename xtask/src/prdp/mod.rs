//! `cargo xtask reproduce <poisson|heat1d|heat2d|heat3d|burgers|navier-stokes|all>`: the PRDP
//! paper's experiments.

mod emulator;
mod figures;
mod poisson;
mod runs;
mod stats;

use anyhow::{Context, Result};
use prdp_train::presets;

use crate::log::Logger;

pub use emulator::{Summary as EmulatorSummary, table as emulator_table};
pub use poisson::{Summary as PoissonSummary, table as poisson_table};

use crate::{ReproduceOptions, Size};

/// Runs the PRDP experiments `names` (of [`presets::NAMES`]) and writes their outputs; a
/// combined table when there are several.
pub fn run(names: &[&str], opts: &ReproduceOptions) -> Result<()> {
    std::fs::create_dir_all(&opts.out)
        .with_context(|| format!("creating {}", opts.out.display()))?;
    let log = Logger::open(&opts.out.join("log.txt"), opts.quiet)?;
    let mut summaries = Vec::new();
    for &n in names {
        let t = std::time::Instant::now();
        let root = opts.ranks.is_root();
        if n == "poisson" {
            let s = poisson::run(opts, &log)?;
            if !root {
                continue;
            }
            log.say(&format!(
                "poisson: PR savings {:.0}% (1P Jacobi; paper 33%), final error {:.1e} (converged {:.1e}) in {}",
                100.0 * s.savings_pr,
                s.cases[1].error_prdp,
                s.cases[1].error_baseline,
                runs::human(t.elapsed().as_secs_f64())
            ));
            continue;
        }
        let mut plan = presets::plan(n, opts.size == Size::Quick, opts.seeds)?;
        if let Some(sweep) = &opts.sweep {
            plan.sweep.clone_from(sweep);
        }
        let s = emulator::run(&plan, opts, &log)?;
        if !root {
            continue;
        }
        log.say(&format!(
            "{n}: K_eps {} K_max {:.1}, savings {:.0}% (PR {:.0}%, IC {:.0}%; accuracy {:?}), wall savings {:.0}%, val {:.2e} vs {:.2e}, in {}",
            s.k_eps,
            s.k_max,
            100.0 * s.savings_total,
            100.0 * s.savings_pr,
            100.0 * s.savings_ic,
            s.accuracy,
            100.0 * s.savings_wall,
            s.val_baseline_mean,
            s.val_prdp_mean,
            runs::human(t.elapsed().as_secs_f64())
        ));
        summaries.push(s);
    }
    if summaries.len() > 1 && opts.ranks.is_root() {
        emulator::write_combined(&opts.out, &summaries)?;
    }
    Ok(())
}
