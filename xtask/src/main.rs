//! `cargo xtask`: reruns the experiments of the PRDP and Neural IVP papers and writes their
//! tables (Markdown), summaries (JSON), run records and figures (PNG).

mod cluster;
mod log;
mod mpi_bench;
mod neural_ivp;
mod plot;
mod prdp;
mod provenance;
mod registry;
mod results;
mod train;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};
use cluster::Everywhere;
use prdp_train::Ranks;

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Reproduce the PRDP and Neural IVP experiments"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Rerun an experiment (or all) and write summary.json, table.md, figures and run records.
    Reproduce {
        /// Which experiment.
        experiment: ReproduceTarget,
        /// PRDP experiments: number of seeds (paper: 10; default 10, or 2 with --quick).
        #[arg(long)]
        seeds: Option<usize>,
        /// Reduced epochs, seeds and sweep points (all experiments in under 10 minutes).
        #[arg(long, conflicts_with = "medium")]
        quick: bool,
        /// Sizes between --quick and the full preset, resumable like a full run: for neural-ivp
        /// the medium networks, points and fits at the paper's horizons (hours on 2 cores); for
        /// the PRDP experiments the paper's settings with 3 seeds and the fixed-K sweep on the
        /// first seed (`--seeds 3 --sweep-seeds 1`, each overridable).
        #[arg(long)]
        medium: bool,
        /// all and neural-ivp: run just these experiments, named by their directory under
        /// --out (comma-separated, e.g. `heat1d,neural-ivp/heat2d` of all; within neural-ivp
        /// also without the prefix: `vlasov6d,fokker_planck`); the tables cover them alone.
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
        /// Neural IVP experiments: override a key of every Neural IVP configuration for a control run
        /// (`--set restart.init=warm --set network.trunks=shared`; the value is JSON, or a
        /// string). Unknown keys are errors; the overrides are listed in the table's notes.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Neural IVP's advection2d, heat2d and wave3d only: skip the EDNN runs (for Neural IVP
        /// control runs).
        #[arg(long)]
        no_ednn: bool,
        /// Output directory.
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// Nothing on stderr (no progress bars or lines); the lines still go to `log.txt` in the
        /// output directory, as without it.
        #[arg(long)]
        quiet: bool,
        /// PRDP experiments: the fixed K values of the incomplete-convergence sweep instead of
        /// the preset's (`--sweep 4,8`; `--sweep` alone runs none).
        #[arg(long, value_delimiter = ',', num_args = 0..)]
        sweep: Option<Vec<usize>>,
        /// PRDP experiments: start PRDP at the smallest K of the fixed-K sweep whose runs do
        /// not diverge (final error finite and no larger than the untrained network's) instead
        /// of the preset's K₀, the paper's remedy for a diverging start. Use another --out than
        /// the preset's run.
        #[arg(long)]
        k0_from_sweep: bool,
        /// PRDP experiments: run the fixed-K sweep on the first N seeds only (it locates K_max
        /// and draws the incomplete-convergence curve; the baseline and PRDP keep every seed).
        /// For the long experiments; the table says so.
        #[arg(long, value_name = "N")]
        sweep_seeds: Option<usize>,
    },
    /// Train one experiment from a TOML config (see prdp_train::Experiment); resumes from
    /// `--out` if interrupted.
    Train {
        /// The experiment config.
        config: PathBuf,
        /// Run directory (checkpoints, record.json).
        #[arg(long, default_value = "out/train")]
        out: PathBuf,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
        /// Least seconds between two checkpoints (0: at every interval); a killed run loses at
        /// most this much work.
        #[arg(long, default_value_t = 10.0)]
        checkpoint_every: f64,
    },
    /// Rewrite the README's generated PRDP and Neural IVP tables from results/, after copying
    /// the summaries of every experiment found in `--collect DIR` into results/ (Neural IVP:
    /// under `results/neural-ivp/<preset>/`).
    Results {
        /// A reproduction's output directory to take the summaries from.
        #[arg(long)]
        collect: Option<PathBuf>,
    },
}

/// The targets of `reproduce`: one PRDP experiment, the Neural IVP experiments, or every
/// experiment of both papers (`all`; [`registry`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ReproduceTarget {
    Poisson,
    Heat1d,
    Heat2d,
    Heat3d,
    Burgers,
    NavierStokes,
    NeuralIvp,
    All,
}

/// The size of a reproduction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    /// Reduced sizes (minutes).
    Quick,
    /// Between quick and full (neural-ivp: medium sizes; PRDP: the full settings on 3 seeds).
    Medium,
    /// The largest sizes this machine runs (hours).
    Full,
}

impl Size {
    /// The preset's name in logs and tables.
    pub fn name(self) -> &'static str {
        match self {
            Size::Quick => "quick",
            Size::Medium => "medium",
            Size::Full => "full",
        }
    }
}

/// Options shared by every reproduction.
#[derive(Clone, Debug)]
pub struct ReproduceOptions {
    /// The ranks the runs are spread over (one process unless started under MPI).
    pub ranks: Ranks,
    /// The size of the reproduction.
    pub size: Size,
    /// Seeds requested on the command line.
    pub seeds: Option<usize>,
    /// Overrides `KEY=VALUE` of the Neural IVP configurations.
    pub set: Vec<String>,
    /// Skip EDNN (2D problems and the 3D wave only).
    pub no_ednn: bool,
    /// Output directory (each experiment writes to a subdirectory).
    pub out: PathBuf,
    /// Suppress progress bars.
    pub quiet: bool,
    /// Start PRDP at the smallest non-diverging K of the sweep.
    pub k0_from_sweep: bool,
    /// The sweep's K values, replacing the preset's.
    pub sweep: Option<Vec<usize>>,
    /// Run the sweep on this many of the first seeds only.
    pub sweep_seeds: Option<usize>,
}

/// The seed counts of the PRDP experiments: those given, else at medium size the paper's
/// settings on 3 seeds with the sweep on the first (the presets' otherwise). Neural IVP's
/// experiments have their seeds in their presets.
fn seed_defaults(
    size: Size,
    seeds: Option<usize>,
    sweep_seeds: Option<usize>,
) -> (Option<usize>, Option<usize>) {
    let medium = size == Size::Medium;
    (
        seeds.or(medium.then_some(3)),
        sweep_seeds.or(medium.then_some(1)),
    )
}

fn main() {
    let cluster = cluster::Cluster::init();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if cluster.ranks.is_root() => e.exit(),
        Err(e) => std::process::exit(e.exit_code()),
    };
    if let Err(e) = run(cli, &cluster.ranks) {
        cluster.fail(&e);
    }
}

/// Runs the command on this process's ranks.
fn run(cli: Cli, ranks: &Ranks) -> Result<()> {
    match cli.command {
        Command::Reproduce {
            experiment,
            seeds,
            quick,
            medium,
            only,
            set,
            no_ednn,
            out,
            quiet,
            k0_from_sweep,
            sweep,
            sweep_seeds,
        } => {
            let target = experiment
                .to_possible_value()
                .expect("every target has a name");
            let chosen = registry::select(target.get_name(), &only)
                .map_err(|e| Everywhere::error(&e.to_string()))?;
            let (prdp, nivp): (Vec<_>, Vec<_>) = chosen
                .into_iter()
                .partition(|e| e.suite == registry::Suite::Prdp);
            if nivp.is_empty() && (!set.is_empty() || no_ednn) {
                return Err(Everywhere::error(
                    "--set and --no-ednn apply to Neural IVP experiments, and none is selected",
                ));
            }
            let size = if quick {
                Size::Quick
            } else if medium {
                Size::Medium
            } else {
                Size::Full
            };
            let (seeds, sweep_seeds) = seed_defaults(size, seeds, sweep_seeds);
            let opts = ReproduceOptions {
                ranks: ranks.clone(),
                size,
                seeds,
                set,
                no_ednn,
                out,
                quiet,
                k0_from_sweep,
                sweep,
                sweep_seeds,
            };
            if !prdp.is_empty() {
                let names: Vec<&str> = prdp.iter().map(|e| e.name).collect();
                prdp::run(&names, &opts)?;
            }
            if !nivp.is_empty() {
                let names: Vec<&str> = nivp.iter().map(|e| e.name).collect();
                neural_ivp::run(&names, &opts)?;
            }
            Ok(())
        }
        Command::Train {
            config,
            out,
            quiet,
            checkpoint_every,
        } => train::run(&config, &out, quiet, checkpoint_every, ranks),
        Command::Results { collect } => results::run(collect.as_deref()),
    }
}

#[cfg(test)]
mod tests {
    use super::{Size, seed_defaults};

    #[test]
    fn medium_prdp_runs_three_seeds_and_sweeps_the_first_unless_told() {
        assert_eq!(seed_defaults(Size::Medium, None, None), (Some(3), Some(1)));
        assert_eq!(
            seed_defaults(Size::Medium, Some(5), Some(2)),
            (Some(5), Some(2))
        );
        assert_eq!(seed_defaults(Size::Full, None, None), (None, None));
        assert_eq!(seed_defaults(Size::Quick, Some(1), None), (Some(1), None));
    }
}
