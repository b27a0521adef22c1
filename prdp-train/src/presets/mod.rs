//! The PRDP paper's experiments as configurations.
//!
//! Where the authors' code departs from the paper's text, the presets follow the code (see
//! `shared/notes/prdp-reference.md`), since the code produced the paper's numbers; where the
//! paper is silent and no code exists (heat 3D, Burgers), the code's conventions carry over.
//! The README's table of departures lists each case with the paper's value, the code's and
//! ours; in short:
//! heat 1D trains for 100 epochs (the paper says 70) on homogeneous Dirichlet boundaries (the
//! paper's appendix D describes periodic ones); heat 2D trains for 70 epochs (the paper says
//! 100) with the untrained network's error as the initial checkpoint; heat trains on the MSE
//! (the paper's text says nMSE); the other controllers
//! start from the code's checkpoint of 100; Navier–Stokes uses the code's τ_step = 0.95 (the
//! paper's text says 0.98); the inverse problems run every solve to exactly K iterations, as
//! the code's scan loops do. Three departures from the code are kept because the code is wrong
//! there: the validation metric is eq. 56 (the code divides by the previous state's norm), the
//! 2D initial conditions are the paper's products (the code's uses x twice in one term), and
//! Navier–Stokes interpolates its winds at the staggered points (the code's stencils are
//! shifted by one cell). Settings the paper does not give (Burgers' epochs) are chosen and
//! documented.
//!
//! # Example
//! ```
//! use prdp_train::{KSchedule, ScenarioConfig, presets};
//!
//! // Heat 1D (appendix F.2) under PRDP, seed 1: the whole run is 100 epochs of 8 update steps.
//! let scenario = ScenarioConfig::Emulator(presets::heat_emulator(1));
//! let exp = presets::experiment("heat1d", scenario, KSchedule::Prdp(presets::heat_prdp(1)), 1);
//! assert_eq!(exp.scenario.update_steps(), 800);
//! // `exp.run(&RunOptions::default(), None, &mut Silent)` trains it (a few seconds).
//! ```

mod plan;

pub use plan::{Paper, Plan, SEEDS, plan, poisson_cases};

use prdp_core::Boundary;
use prdp_nn::{
    Activation, Architecture, Init, Loss, LrSchedule, MlpConfig, Optimizer, Padding, ResNetConfig,
};
use prdp_pde::{
    BurgersConfig, DataSpec, FourierSeries, HeatConfig, NavierStokesConfig, PoissonConfig,
};
use prdp_solvers::{DiffMode, Method};

use crate::{
    BaselineCharge, EmulatorConfig, EmulatorPhysics, Experiment, HybridConfig, InitialCheckpoint,
    InverseConfig, KSchedule, PrdpConfig, Precision, ScenarioConfig, SolverConfig,
};

/// The relative residual ε at which the physics counts as converged (the paper's 1e-5): K_ε is
/// the first K whose mean relative residual falls below it.
pub const EPSILON: f64 = 1e-5;

/// The checkpoint c before the first refinement in the reference code (any value above the
/// metric makes the first plateau refine).
pub const REFERENCE_CHECKPOINT: f64 = 100.0;

/// The paper's experiments, by name.
pub const NAMES: [&str; 6] = [
    "poisson",
    "heat1d",
    "heat2d",
    "heat3d",
    "burgers",
    "navier-stokes",
];

fn exponential(init_value: f64, decay_rate: f64) -> LrSchedule {
    LrSchedule::ExponentialDecay {
        init_value,
        transition_steps: 100,
        decay_rate,
        transition_begin: 0,
        staircase: false,
        end_value: None,
    }
}

/// The heat emulator scenario in `dim` dimensions (F.2): MLP 30→64×3→30 (1D),
/// 900→3000×3→900 (2D) or a 3D ResNet (6 blocks, 32 channels, zero padding); Adam with
/// exponential decay (1D: 1e-3·0.94, 2D: 1e-3·0.9, 3D: 1e-4·0.92 per 100 steps); batch 25;
/// MSE loss after one Jacobi-solved BTCS step (the reference code; the paper's F.2 says nMSE,
/// and heat 1D reaches the same savings and error with either); validation at t = 2. Implicit differentiation
/// in 1D, unrolled in 2D and 3D (as the paper). Epochs: 100 (1D, reference code), 70 (2D,
/// reference code), 100 (3D).
///
/// # Panics
/// If `dim` is not 1, 2 or 3.
pub fn heat_emulator(dim: usize) -> EmulatorConfig {
    let heat = HeatConfig::paper(dim);
    let n: usize = heat.dims.iter().product();
    let model = match dim {
        1 | 2 => Architecture::Mlp(MlpConfig {
            in_features: n,
            out_features: n,
            width: if dim == 1 { 64 } else { 3000 },
            depth: 3,
            activation: Activation::Relu,
            ..MlpConfig::default()
        }),
        3 => Architecture::ResNet(ResNetConfig {
            grid: heat.dims.clone(),
            hidden_channels: 32,
            blocks: 6,
            padding: Padding::Zero,
            ..ResNetConfig::default()
        }),
        _ => panic!("heat emulator in {dim} dimensions: 1, 2 or 3"),
    };
    let (lr, epochs, mode) = match dim {
        1 => (
            exponential(1e-3, 0.94),
            100,
            DiffMode::Implicit {
                adjoint_budget: None,
            },
        ),
        2 => (exponential(1e-3, 0.9), 70, DiffMode::Unrolled),
        _ => (exponential(1e-4, 0.92), 100, DiffMode::Unrolled),
    };
    EmulatorConfig {
        physics: EmulatorPhysics::Heat(heat),
        solver: SolverConfig {
            method: Method::Jacobi,
            mode,
            rtol: 1e-5,
        },
        data: DataSpec::default(),
        initial_condition: FourierSeries::default(),
        model,
        optimizer: Optimizer::adam(lr),
        epochs,
        batch_size: 25,
        loss: Loss::Mse,
        validation_step: 2,
        gradient_blocks: 1,
    }
}

/// PRDP for heat (F.2): K₀ = 1, ΔK = 1, δ = 3, τ_stop = 0.9; 1D: τ_step = 0.98, EMA window 8;
/// 2D: τ_step = 0.9, EMA 6, checkpoint = the untrained error (reference code); 3D:
/// τ_step = 0.97, EMA 6. The initial checkpoint is otherwise the reference code's 100.
pub fn heat_prdp(dim: usize) -> PrdpConfig {
    let reference = InitialCheckpoint::Value(REFERENCE_CHECKPOINT);
    let (tau_step, window, initial_checkpoint) = match dim {
        1 => (0.98, 8, reference),
        2 => (0.9, 6, InitialCheckpoint::FirstMetric),
        _ => (0.97, 6, reference),
    };
    PrdpConfig {
        tau_step,
        tau_stop: 0.9,
        delta: 3,
        ema_window: Some(window),
        initial_checkpoint,
        ..PrdpConfig::default()
    }
}

/// The Burgers emulator (F.3): 1D ResNet (6 blocks, 32 channels, circular padding) on 256
/// points, GMRES(2) with implicit differentiation, Adam 1e-3·0.7 per 100 steps, batch 25, nMSE
/// loss, validation at t = 5, 20 Fourier modes. The paper gives no epoch count; 100 are used,
/// as in its other emulators: with 50, PRDP (EMA window 15) is still refining when training
/// ends (K_max 7.8, its error not matched), with 100 it reaches the paper's K_max (15.4 vs 16)
/// and savings (56% vs 59%) at matched error (the controlled runs in `results/`).
pub fn burgers_emulator() -> EmulatorConfig {
    let burgers = BurgersConfig::default();
    EmulatorConfig {
        model: Architecture::ResNet(ResNetConfig {
            grid: vec![burgers.n],
            padding: Padding::Circular,
            ..ResNetConfig::default()
        }),
        physics: EmulatorPhysics::Burgers(burgers),
        solver: SolverConfig {
            method: Method::Gmres { restart: 2 },
            mode: DiffMode::Implicit {
                adjoint_budget: None,
            },
            rtol: 1e-5,
        },
        data: DataSpec::paper_burgers(),
        initial_condition: FourierSeries {
            modes: 20,
            ..FourierSeries::default()
        },
        optimizer: Optimizer::adam(exponential(1e-3, 0.7)),
        epochs: 100,
        batch_size: 25,
        loss: Loss::Nmse,
        validation_step: 5,
        gradient_blocks: 1,
    }
}

/// PRDP for Burgers (F.3, section 4.3): K₀ = 4, τ_step = 0.9, τ_stop = 0.9, δ = 3, EMA 15;
/// initial checkpoint 100 (the reference code's convention; the paper gives none).
pub fn burgers_prdp() -> PrdpConfig {
    PrdpConfig {
        k0: 4,
        tau_step: 0.9,
        tau_stop: 0.9,
        delta: 3,
        ema_window: Some(15),
        initial_checkpoint: InitialCheckpoint::Value(REFERENCE_CHECKPOINT),
        ..PrdpConfig::default()
    }
}

/// The Navier–Stokes hybrid corrector (F.4): coarse 48² and fine 97² grids, ν = 1e-4,
/// Δt = 0.1, GMRES(8) with implicit differentiation, 2D ResNet (3 blocks, 64 channels,
/// circular padding, 3 → 3 channels), Adam with cosine decay from 1e-3 to 1e-4 over 800 steps,
/// batch 25, 100 epochs, validation on the x-velocity at t = 5 with the converged coarse solver
/// (120 restart cycles, as the reference code).
pub fn navier_stokes_hybrid() -> HybridConfig {
    HybridConfig {
        coarse: NavierStokesConfig::paper_coarse(),
        fine: NavierStokesConfig::paper_fine(),
        filter_nu_dt: 3e-3,
        solver: SolverConfig {
            method: Method::Gmres { restart: 8 },
            mode: DiffMode::Implicit {
                adjoint_budget: None,
            },
            rtol: 1e-5,
        },
        converged_k: 120,
        data: DataSpec::paper_navier_stokes(),
        model: Architecture::ResNet(ResNetConfig {
            grid: vec![48, 48],
            in_channels: 3,
            out_channels: 3,
            hidden_channels: 64,
            blocks: 3,
            padding: Padding::Circular,
            init: Init::Uniform,
            ..ResNetConfig::default()
        }),
        optimizer: Optimizer::adam(LrSchedule::CosineDecay {
            init_value: 1e-3,
            decay_steps: 800,
            alpha: 0.1,
            exponent: 1.0,
        }),
        epochs: 100,
        batch_size: 25,
        validation_step: 5,
        metric_channel: 0,
        gradient_blocks: 1,
    }
}

/// PRDP for Navier–Stokes as the reference notebook runs it: K₀ = 1, τ_step = 0.95 (the
/// paper's F.4 says 0.98), τ_stop = 0.9, δ = 3, EMA 6, initial checkpoint 100.
pub fn navier_stokes_prdp() -> PrdpConfig {
    PrdpConfig {
        tau_step: 0.95,
        tau_stop: 0.9,
        delta: 3,
        ema_window: Some(6),
        initial_checkpoint: InitialCheckpoint::Value(REFERENCE_CHECKPOINT),
        ..PrdpConfig::default()
    }
}

/// The Poisson inverse problem with `modes` = 1 or 3 load parameters (F.1): N = 30, gradient
/// descent with learning rate 275 for 170 steps (P = 1) or 3500 for 750 (Jacobi) / 800
/// (steepest descent) steps (P = 3). Every solve runs exactly K iterations (tolerance 0), as
/// the reference notebook's scan loops: the cost Σ K charged to a run is then the work it did.
pub fn poisson_inverse(modes: usize, method: Method, mode: DiffMode) -> InverseConfig {
    let (learning_rate, steps) = match (modes, method) {
        (1, _) => (275.0, 170),
        (_, Method::SteepestDescent) => (3500.0, 800),
        _ => (3500.0, 750),
    };
    InverseConfig {
        poisson: PoissonConfig { n: 30, modes },
        solver: SolverConfig {
            method,
            mode,
            rtol: 0.0,
        },
        learning_rate,
        steps,
        theta_ref: None,
        theta_init: None,
        precision: Precision::F32,
    }
}

/// PRDP for the Poisson inverse problem, capped at K_ε (F.1): P = 1: K₀ = 25, ΔK = 10,
/// τ_step = 0.92, τ_stop = 0.9 (the reference notebook; the paper's 0.98 is defined there but
/// never passed), δ = 2, no smoothing; P = 3: K₀ = 1, ΔK = 2, τ_step = τ_stop = 0.99, δ = 2.
/// The initial checkpoint is the notebook's 100; one decision per update step.
pub fn poisson_prdp(modes: usize, k_eps: usize) -> PrdpConfig {
    let (k0, dk, tau_step, tau_stop) = if modes == 1 {
        (25, 10, 0.92, 0.9)
    } else {
        (1, 2, 0.99, 0.99)
    };
    PrdpConfig {
        k0,
        dk,
        tau_step,
        tau_stop,
        delta: 2,
        ema_window: None,
        cap: Some(k_eps),
        initial_checkpoint: InitialCheckpoint::Value(REFERENCE_CHECKPOINT),
        interval: crate::Interval::Steps(1),
        ..PrdpConfig::default()
    }
}

/// The paper's K_ε of the Poisson inverse problem (F.1): 600 for P = 1, 450 (Jacobi) or 240
/// (steepest descent) for P = 3. These are what the inverse problem needs to reach a parameter
/// error of 1e-5; the first K whose solver residual is below ε is smaller (about 570, 450 and
/// 270 in f32), and with it the parameter error stalls near 1e-5.
pub fn poisson_k_eps(modes: usize, method: Method) -> usize {
    match (modes, method) {
        (1, _) => 600,
        (_, Method::SteepestDescent) => 240,
        _ => 450,
    }
}

/// The relative parameter error at which the inverse problem counts as solved (section 2.2).
pub const POISSON_TARGET: f64 = 1e-5;

/// How the paper's section 4.1 table charges the converged baseline of the inverse problem:
/// up to the step that reaches [`POISSON_TARGET`] for P = 1 (75K = 600 × 125), every update
/// step for P = 3 (337.5K = 450 × 750, 192K = 240 × 800).
pub fn poisson_charge(modes: usize) -> BaselineCharge {
    if modes == 1 {
        BaselineCharge::UntilMetricBelow(POISSON_TARGET)
    } else {
        BaselineCharge::AllSteps
    }
}

/// An experiment from a scenario, a schedule and a seed.
pub fn experiment(
    name: &str,
    scenario: ScenarioConfig,
    schedule: KSchedule,
    seed: u64,
) -> Experiment {
    Experiment {
        name: name.to_owned(),
        seed,
        schedule,
        scenario,
    }
}

/// The heat physics with periodic boundaries, as appendix D describes (the presets use the
/// reference code's Dirichlet boundaries).
pub fn periodic(mut c: EmulatorConfig) -> EmulatorConfig {
    if let EmulatorPhysics::Heat(h) = &mut c.physics {
        h.boundary = Boundary::Periodic;
    }
    c
}
