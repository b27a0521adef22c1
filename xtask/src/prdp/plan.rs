//! What each PRDP experiment runs: the scenario, the PRDP settings, the fixed-K sweep, the
//! seeds, and the paper's figures to compare against.

use prdp_nn::{Architecture, ResNetConfig};
use prdp_pde::{DataSpec, NavierStokesConfig};
use prdp_solvers::{DiffMode, Method};
use prdp_train::{PrdpConfig, ScenarioConfig, presets};
use serde::Serialize;

/// The paper's numbers for one experiment (PRDP paper, sections 4.2–4.4 and appendix G.2).
#[derive(Debug, Clone, Copy, Default, Serialize)]
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

/// One emulator or hybrid experiment.
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
}

/// The seeds listed in the reference notebooks.
pub const SEEDS: [u64; 10] = [1, 2, 25, 50, 1000, 1337, 2668, 3999, 12345, 54321];

fn seeds(n: usize) -> Vec<u64> {
    SEEDS.iter().copied().cycle().take(n).collect()
}

/// The plan of `name` ("heat1d", …), full or quick; `seeds` overrides the default count.
pub fn plan(name: &str, quick: bool, n_seeds: Option<usize>) -> Option<Plan> {
    let p = match name {
        "heat1d" => {
            let c = presets::heat_emulator(1);
            Plan {
                name: "heat1d",
                scenario: ScenarioConfig::Emulator(c),
                prdp: presets::heat_prdp(1),
                sweep: if quick {
                    vec![1, 3, 6, 10]
                } else {
                    vec![1, 2, 3, 4, 5, 6, 10, 15, 20]
                },
                seeds: seeds(if quick { 2 } else { 10 }),
                max_k: 200,
                paper: Paper {
                    k_eps: Some(25),
                    k_max: Some(10),
                    total: Some(0.79),
                    pr: Some(0.19),
                    ic: Some(0.60),
                    val_baseline: Some((0.021, 0.0039)),
                    val_prdp: Some((0.021, 0.0038)),
                    wall: None,
                },
                note: "reference code: 100 epochs, Dirichlet",
            }
        }
        "heat2d" => {
            let mut c = presets::heat_emulator(2);
            if quick {
                c.epochs = 40;
            }
            Plan {
                name: "heat2d",
                scenario: ScenarioConfig::Emulator(c),
                prdp: presets::heat_prdp(2),
                sweep: if quick {
                    vec![12]
                } else {
                    vec![2, 4, 6, 8, 15]
                },
                seeds: seeds(if quick { 1 } else { 2 }),
                max_k: 300,
                paper: Paper {
                    k_eps: Some(43),
                    k_max: Some(12),
                    total: Some(0.86),
                    pr: Some(0.14),
                    ic: Some(0.72),
                    val_baseline: Some((0.014, 0.0008)),
                    val_prdp: Some((0.011, 0.0006)),
                    wall: Some(0.24),
                },
                note: if quick {
                    "40 epochs (reference code: 70)"
                } else {
                    "reference code: 70 epochs; 2 seeds and 5 sweep points (paper: 3 seeds) to fit 2 cores"
                },
            }
        }
        "heat3d" => {
            let mut c = presets::heat_emulator(3);
            if let Architecture::ResNet(r) = &mut c.model {
                if quick {
                    r.hidden_channels = 8;
                    r.blocks = 2;
                } else {
                    r.hidden_channels = 16;
                    r.blocks = 3;
                }
            }
            c.epochs = if quick { 20 } else { 30 };
            if quick {
                c.data = DataSpec {
                    train: 100,
                    ..DataSpec::default()
                };
            }
            Plan {
                name: "heat3d",
                scenario: ScenarioConfig::Emulator(c),
                prdp: presets::heat_prdp(3),
                sweep: if quick { vec![4] } else { vec![2, 5] },
                seeds: seeds(if quick { 1 } else { 2 }),
                max_k: 300,
                paper: Paper {
                    total: Some(0.81),
                    val_baseline: Some((0.004, 0.0009)),
                    val_prdp: Some((0.005, 0.0010)),
                    wall: Some(0.78),
                    ..Paper::default()
                },
                note: if quick {
                    "ResNet 2 blocks × 8 channels, 100 samples, 20 epochs"
                } else {
                    "ResNet 3 blocks × 16 channels (paper: 6 × 32), 30 epochs, 2 seeds: the paper's network needs ~10 s per step on 2 cores"
                },
            }
        }
        "burgers" => {
            let mut c = presets::burgers_emulator();
            if quick {
                c.epochs = 30;
            }
            Plan {
                name: "burgers",
                scenario: ScenarioConfig::Emulator(c),
                prdp: presets::burgers_prdp(),
                sweep: if quick {
                    vec![8]
                } else {
                    vec![4, 6, 8, 10, 12, 16, 20]
                },
                seeds: seeds(if quick { 1 } else { 5 }),
                max_k: 200,
                paper: Paper {
                    k_eps: Some(23),
                    k_max: Some(16),
                    total: Some(0.59),
                    pr: Some(0.29),
                    ic: Some(0.30),
                    val_baseline: Some((0.055, 0.0138)),
                    val_prdp: Some((0.062, 0.0213)),
                    wall: None,
                },
                note: if quick {
                    "30 epochs"
                } else {
                    "50 epochs (not stated in the paper), 5 seeds"
                },
            }
        }
        "navier-stokes" => {
            let mut c = presets::navier_stokes_hybrid();
            if quick {
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
            } else {
                c.epochs = 20;
            }
            if let Architecture::ResNet(r) = &mut c.model {
                r.grid = vec![c.coarse.n, c.coarse.n];
                if quick {
                    *r = ResNetConfig {
                        hidden_channels: 16,
                        blocks: 2,
                        ..r.clone()
                    };
                }
            }
            Plan {
                name: "navier-stokes",
                scenario: ScenarioConfig::Hybrid(c),
                prdp: presets::navier_stokes_prdp(),
                sweep: if quick { vec![2] } else { vec![1, 4, 16] },
                seeds: seeds(1),
                max_k: 400,
                paper: Paper {
                    total: Some(0.81),
                    pr: Some(0.16),
                    ic: Some(0.65),
                    val_baseline: Some((0.006, 0.0005)),
                    val_prdp: Some((0.007, 0.0004)),
                    wall: Some(0.57),
                    ..Paper::default()
                },
                note: if quick {
                    "12² coarse / 25² fine grids, 50 samples, ResNet 2 × 16, 30 epochs"
                } else {
                    "20 epochs (paper: 100), 1 seed: one update step takes seconds on 2 cores"
                },
            }
        }
        _ => return None,
    };
    Some(match n_seeds {
        Some(n) => Plan {
            seeds: seeds(n),
            ..p
        },
        None => p,
    })
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
