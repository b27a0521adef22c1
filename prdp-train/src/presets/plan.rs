//! What each PRDP experiment of the paper runs: the scenario, the PRDP settings, the fixed-K
//! sweep, the seeds, and the paper's figures to compare against.

use prdp_nn::{Architecture, ResNetConfig};
use prdp_pde::{DataSpec, NavierStokesConfig};
use prdp_solvers::{DiffMode, Method};
use serde::{Deserialize, Serialize};

use crate::presets::{
    NAMES, burgers_emulator, burgers_prdp, heat_emulator, heat_prdp, navier_stokes_hybrid,
    navier_stokes_prdp,
};
use crate::{PrdpConfig, ScenarioConfig, TimeScale, TrainError, rescale_time};

/// The paper's numbers for one experiment (PRDP paper, sections 4.2–4.4 and appendix G.2).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Paper {
    /// K_ε.
    pub k_eps: Option<usize>,
    /// K_max found by PRDP.
    pub k_max: Option<usize>,
    /// Total savings in inner iterations.
    pub total: Option<f64>,
    /// Progressive-refinement savings.
    pub pr: Option<f64>,
    /// Incomplete-convergence savings.
    pub ic: Option<f64>,
    /// Final validation error with converged physics (mean, std).
    pub val_baseline: Option<(f64, f64)>,
    /// Final validation error with PRDP (mean, std).
    pub val_prdp: Option<(f64, f64)>,
    /// Wall-clock savings.
    pub wall: Option<f64>,
}

/// One emulator or hybrid experiment of the paper, as this workspace reproduces it.
///
/// # Example
/// ```
/// use prdp_train::presets::plan;
/// // Heat 1D at the reference code's settings: 10 seeds, the sweep of figure 4, 800 update
/// // steps; its paper figures beside it.
/// let p = plan("heat1d", false, None)?;
/// assert_eq!((p.seeds.len(), p.scenario.update_steps()), (10, 800));
/// assert_eq!(p.paper.k_max, Some(10));
/// // The quick plan of heat 2D trains 40 epochs instead of 70, so its learning-rate decay and
/// // controller interval are rescaled by 40/70.
/// let q = plan("heat2d", true, None)?;
/// assert!(q.time_scale.is_rescaled() && q.time_scale.factor() < 1.0);
/// # Ok::<(), prdp_train::TrainError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Plan {
    /// Experiment name (directory and table label).
    pub name: &'static str,
    /// The scenario.
    pub scenario: ScenarioConfig,
    /// PRDP settings.
    pub prdp: PrdpConfig,
    /// Fixed K values of the incomplete-convergence sweep (figure 4).
    pub sweep: Vec<usize>,
    /// Run seeds (network initialisation and minibatch order).
    pub seeds: Vec<u64>,
    /// Largest K tried when searching K_ε.
    pub max_k: usize,
    /// The paper's figures.
    pub paper: Paper,
    /// How this plan departs from the paper's setting, for the table.
    pub note: &'static str,
    /// The run's length against the preset's, and what was rescaled for it.
    pub time_scale: TimeScale,
}

/// The seeds listed in the reference notebooks.
pub const SEEDS: [u64; 10] = [1, 2, 25, 50, 1000, 1337, 2668, 3999, 12345, 54321];

fn seeds_list(n: usize) -> Vec<u64> {
    SEEDS.iter().copied().cycle().take(n).collect()
}

/// The plan of `name` (one of [`NAMES`] but `"poisson"`), full or quick; `n_seeds` overrides the
/// default count. A plan shorter than its preset (fewer epochs or samples) has its
/// learning-rate schedule and controller interval rescaled by [`rescale_time`].
///
/// # Errors
/// [`TrainError::Config`] naming `experiment` for an unknown name; a preset without update
/// steps.
pub fn plan(name: &str, quick: bool, n_seeds: Option<usize>) -> Result<Plan, TrainError> {
    let (reference, mut prdp) = match name {
        "heat1d" => (ScenarioConfig::Emulator(heat_emulator(1)), heat_prdp(1)),
        "heat2d" => (ScenarioConfig::Emulator(heat_emulator(2)), heat_prdp(2)),
        "heat3d" => (ScenarioConfig::Emulator(heat_emulator(3)), heat_prdp(3)),
        "burgers" => (ScenarioConfig::Emulator(burgers_emulator()), burgers_prdp()),
        "navier-stokes" => (
            ScenarioConfig::Hybrid(navier_stokes_hybrid()),
            navier_stokes_prdp(),
        ),
        _ => {
            return Err(TrainError::config(
                "experiment",
                name,
                "one of heat1d, heat2d, heat3d, burgers, navier-stokes",
            ));
        }
    };
    let mut scenario = reference.clone();
    if quick {
        shorten(name, &mut scenario);
    }
    let time_scale = rescale_time(&reference, &mut scenario, &mut prdp)?;
    let (sweep, seeds, max_k, paper, note) = match name {
        "heat1d" => (
            if quick {
                vec![1, 3, 6, 10]
            } else {
                vec![1, 2, 3, 4, 5, 6, 10, 15, 20]
            },
            if quick { 2 } else { 10 },
            200,
            Paper {
                k_eps: Some(25),
                k_max: Some(10),
                total: Some(0.79),
                pr: Some(0.19),
                ic: Some(0.60),
                val_baseline: Some((0.021, 0.0039)),
                val_prdp: Some((0.021, 0.0038)),
                wall: None,
            },
            "reference code: 100 epochs, Dirichlet",
        ),
        "heat2d" => (
            if quick { vec![12] } else { vec![4, 8, 15] },
            if quick { 1 } else { 5 },
            300,
            Paper {
                k_eps: Some(43),
                k_max: Some(12),
                total: Some(0.86),
                pr: Some(0.14),
                ic: Some(0.72),
                val_baseline: Some((0.014, 0.0008)),
                val_prdp: Some((0.011, 0.0006)),
                wall: Some(0.24),
            },
            if quick {
                "40 epochs (reference code: 70)"
            } else {
                "reference code: 70 epochs (paper: 100)"
            },
        ),
        "heat3d" => (
            if quick { vec![4] } else { vec![3, 6] },
            if quick { 1 } else { 3 },
            300,
            Paper {
                total: Some(0.81),
                val_baseline: Some((0.004, 0.0009)),
                val_prdp: Some((0.005, 0.0010)),
                wall: Some(0.78),
                ..Paper::default()
            },
            if quick {
                "ResNet 2 blocks × 8 channels, 100 samples, 20 epochs"
            } else {
                "the paper's setting: ResNet 6 blocks × 32 channels, 100 epochs"
            },
        ),
        "burgers" => (
            if quick {
                vec![8]
            } else {
                vec![4, 6, 8, 10, 12, 16, 20]
            },
            if quick { 1 } else { 10 },
            200,
            Paper {
                k_eps: Some(23),
                k_max: Some(16),
                total: Some(0.59),
                pr: Some(0.29),
                ic: Some(0.30),
                val_baseline: Some((0.055, 0.0138)),
                val_prdp: Some((0.062, 0.0213)),
                wall: None,
            },
            if quick {
                "30 epochs (preset: 100)"
            } else {
                "100 epochs (not stated in the paper)"
            },
        ),
        _ => (
            if quick { vec![2] } else { vec![1, 4, 16] },
            if quick { 1 } else { 3 },
            400,
            Paper {
                total: Some(0.81),
                pr: Some(0.16),
                ic: Some(0.65),
                val_baseline: Some((0.006, 0.0005)),
                val_prdp: Some((0.007, 0.0004)),
                wall: Some(0.57),
                ..Paper::default()
            },
            if quick {
                "12² coarse / 25² fine grids, 50 samples, ResNet 2 × 16, 30 epochs"
            } else {
                "the paper's setting: 48² / 97² grids, ResNet 3 × 64, 100 epochs"
            },
        ),
    };
    Ok(Plan {
        name: NAMES
            .into_iter()
            .find(|&n| n == name)
            .expect("matched above"),
        scenario,
        prdp,
        sweep,
        seeds: seeds_list(n_seeds.unwrap_or(seeds)),
        max_k,
        paper,
        note,
        time_scale,
    })
}

/// The quick preset's reductions of an experiment (rescaled in time by the caller).
fn shorten(name: &str, scenario: &mut ScenarioConfig) {
    match scenario {
        ScenarioConfig::Emulator(c) => match name {
            "heat2d" => c.epochs = 40,
            "heat3d" => {
                if let Architecture::ResNet(r) = &mut c.model {
                    r.hidden_channels = 8;
                    r.blocks = 2;
                }
                c.epochs = 20;
                c.data = DataSpec {
                    train: 100,
                    ..DataSpec::default()
                };
            }
            "burgers" => c.epochs = 30,
            _ => {}
        },
        ScenarioConfig::Hybrid(c) => {
            c.fine = NavierStokesConfig {
                n: 25,
                ..NavierStokesConfig::paper_fine()
            };
            c.coarse = NavierStokesConfig {
                n: 12,
                ..NavierStokesConfig::paper_coarse()
            };
            c.data = DataSpec {
                train: 50,
                validation: 5,
                ..DataSpec::paper_navier_stokes()
            };
            c.epochs = 30;
            c.converged_k = 60;
            if let Architecture::ResNet(r) = &mut c.model {
                *r = ResNetConfig {
                    grid: vec![c.coarse.n, c.coarse.n],
                    hidden_channels: 16,
                    blocks: 2,
                    ..r.clone()
                };
            }
        }
        ScenarioConfig::InverseProblem(_) => {}
    }
}

/// The Poisson inverse problems of the section 4.1 table: (P, method, mode). With one
/// parameter the load is a single eigenvector of the Laplacian, so steepest descent converges in
/// one iteration and only Jacobi is of interest (as in the paper's table).
pub fn poisson_cases() -> Vec<(usize, Method, DiffMode)> {
    let modes = [
        DiffMode::Unrolled,
        DiffMode::Implicit {
            adjoint_budget: None,
        },
    ];
    let mut v: Vec<_> = modes.iter().map(|&d| (1, Method::Jacobi, d)).collect();
    for method in [Method::Jacobi, Method::SteepestDescent] {
        v.extend(modes.iter().map(|&d| (3, method, d)));
    }
    v
}
