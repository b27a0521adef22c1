//! The sizes of the Neural IVP paper's experiments as this workspace reproduces them: quick
//! (minutes), medium (hours on 2 cores) and full (the largest a 2-core machine runs), each
//! against the paper's figures in its field documentation.
//!
//! # Example
//! ```
//! use neural_ivp::presets::Preset;
//! use neural_ivp::{ErrorNorm, RkScheme};
//! let medium = Preset::medium();
//! // The Neural IVP configuration of the 2D problems at medium size, and EDNN's for T = 1.
//! let cfg = medium.nivp(medium.frequencies, medium.method(false));
//! assert_eq!((cfg.network.width, cfg.points, cfg.solver.rank), (64, 3000, 100));
//! assert_eq!(cfg.integrator.method, RkScheme::Dp54);
//! assert_eq!(cfg.integrator.norm, ErrorNorm::InitialScaled);
//! assert_eq!(medium.ednn(1.0).dt, 1.0 / 25.0);
//! ```

use crate::ednn::EdnnConfig;
use crate::{
    EmbeddingConfig, ErrorNorm, FitConfig, LinearSolveConfig, NetworkConfig, NeuralIvpConfig,
    RestartConfig, RkScheme, StepControl,
};

/// The sizes of one reproduction. Horizons are fractions of the problem's horizon (the paper's,
/// 1.0).
#[derive(Clone, Debug, PartialEq)]
pub struct Preset {
    /// Hidden width of the Neural IVP network (paper: 100).
    pub width: usize,
    /// Hidden layers of the Neural IVP network (paper: 3).
    pub depth: usize,
    /// Embedding frequencies of the 2D problems and of wave maps (paper: 5).
    pub frequencies: usize,
    /// Monte Carlo points per step (paper: 10–50 thousand).
    pub points: usize,
    /// Nyström rank (paper: 200–350).
    pub rank: usize,
    /// Adam iterations of the initial fit (paper: 50 000).
    pub fit_iters: usize,
    /// Points per Adam iteration.
    pub fit_batch: usize,
    /// Adam learning rate (paper: 1e-3).
    pub fit_lr: f64,
    /// Points of the head-tuning ridge regression.
    pub head_points: usize,
    /// Points on which the fit error is measured.
    pub fit_eval_points: usize,
    /// Fresh points of the PDE residual (Neural IVP and EDNN).
    pub eval_points: usize,
    /// Mean CG iterations per solve past which Neural IVP restarts.
    pub restart_cg_iters: usize,
    /// RK method of every problem but wave maps (paper: RK45; wave maps always use RK23).
    pub method: RkScheme,
    /// EDNN collocation points.
    pub ednn_points: usize,
    /// EDNN RK4 steps over the horizon.
    pub ednn_steps: usize,
    /// Points per axis of the 2D reference grid.
    pub grid2d: usize,
    /// Points per axis of the 3D reference grid.
    pub grid3d: usize,
    /// Output times per run.
    pub outputs: usize,
    /// Horizon of advection, heat, Vlasov and Fokker–Planck (d = 8).
    pub horizon: f64,
    /// Width of the 2D advection pulse and heat bump.
    pub sigma2d: f64,
    /// Exponent a of the 3D wave profile 2s²exp(−a s²) (paper: 200).
    pub wave_alpha: f64,
    /// Horizon of the 3D wave.
    pub wave3d_horizon: f64,
    /// Horizon of wave maps.
    pub wave_maps_horizon: f64,
    /// Horizon of the solver ablation (on advection).
    pub ablation_horizon: f64,
    /// Dimensions of the Fokker–Planck sweep.
    pub fp_dims: Vec<usize>,
    /// Horizon of the Fokker–Planck sweep.
    pub fp_horizon: f64,
    /// Adam iterations of the initial fit in the Fokker–Planck sweep.
    pub fp_fit_iters: usize,
    /// Frequencies of figure 2.
    pub fig2_freqs: Vec<f64>,
    /// Network widths of figure 2.
    pub fig2_widths: Vec<usize>,
    /// Neural IVP widths of the scaling study.
    pub scaling_widths: Vec<usize>,
    /// EDNN widths of the scaling study.
    pub scaling_ednn_widths: Vec<usize>,
}

impl Preset {
    /// Reduced sizes: every experiment in minutes on 2 cores.
    pub fn quick() -> Self {
        Self {
            width: 40,
            depth: 3,
            frequencies: 4,
            points: 1000,
            rank: 40,
            fit_iters: 1200,
            fit_batch: 500,
            fit_lr: 5e-3,
            head_points: 10_000,
            fit_eval_points: 4_000,
            eval_points: 1000,
            restart_cg_iters: 150,
            method: RkScheme::Bs23,
            ednn_points: 600,
            ednn_steps: 8,
            grid2d: 128,
            grid3d: 40,
            outputs: 5,
            horizon: 0.5,
            sigma2d: 0.1,
            // the paper's profile (a = 200) is 0.07 wide: even on focused points 1200
            // Adam steps of this network leave a 91 % fit error, so quick widens it
            wave_alpha: 20.0,
            wave3d_horizon: 0.16,
            wave_maps_horizon: 0.2,
            ablation_horizon: 0.2,
            fp_dims: vec![2, 5, 10, 20],
            fp_horizon: 0.04,
            fp_fit_iters: 100,
            fig2_freqs: vec![0.5, 1.0, 2.0],
            fig2_widths: vec![16, 32, 64],
            scaling_widths: vec![56, 180, 560],
            scaling_ednn_widths: vec![16, 24, 34],
        }
    }

    /// Sizes between quick and full: the paper's horizons, hours on 2 cores.
    pub fn medium() -> Self {
        Self {
            width: 64,
            depth: 3,
            frequencies: 5,
            points: 3000,
            rank: 100,
            fit_iters: 5000,
            fit_batch: 1000,
            fit_lr: 2e-3,
            head_points: 30_000,
            fit_eval_points: 10_000,
            eval_points: 3000,
            restart_cg_iters: 200,
            method: RkScheme::Dp54,
            ednn_points: 2000,
            ednn_steps: 25,
            grid2d: 256,
            grid3d: 64,
            outputs: 6,
            horizon: 1.0,
            sigma2d: 0.1,
            wave_alpha: 200.0,
            wave3d_horizon: 1.0,
            wave_maps_horizon: 1.0,
            ablation_horizon: 1.0,
            fp_dims: vec![2, 4, 8, 12, 16, 20],
            fp_horizon: 1.0,
            fp_fit_iters: 1000,
            fig2_freqs: vec![0.5, 1.0, 2.0, 4.0],
            fig2_widths: vec![16, 32, 64, 128],
            scaling_widths: vec![56, 180, 560, 1000],
            scaling_ednn_widths: vec![16, 24, 34, 48],
        }
    }

    /// The largest sizes a 2-core machine runs (the paper's horizons; networks, points and
    /// fits still below the paper's).
    pub fn full() -> Self {
        Self {
            width: 100,
            depth: 3,
            frequencies: 5,
            points: 10_000,
            rank: 200,
            fit_iters: 20_000,
            fit_batch: 2_000,
            fit_lr: 1e-3,
            head_points: 100_000,
            fit_eval_points: 20_000,
            eval_points: 10_000,
            restart_cg_iters: 300,
            method: RkScheme::Dp54,
            ednn_points: 5_000,
            ednn_steps: 100,
            grid2d: 500,
            grid3d: 100,
            outputs: 11,
            horizon: 1.0,
            sigma2d: 0.05,
            wave_alpha: 200.0,
            wave3d_horizon: 1.0,
            wave_maps_horizon: 1.0,
            ablation_horizon: 1.0,
            fp_dims: vec![2, 4, 6, 8, 10, 12, 14, 16, 18, 20],
            fp_horizon: 1.0,
            fp_fit_iters: 2000,
            fig2_freqs: vec![0.5, 1.0, 2.0, 4.0],
            fig2_widths: vec![16, 32, 64, 128, 256],
            scaling_widths: vec![56, 180, 560, 1000],
            scaling_ednn_widths: vec![16, 24, 34, 48, 58],
        }
    }

    /// The fit settings.
    pub fn fit(&self) -> FitConfig {
        FitConfig {
            iters: self.fit_iters,
            batch: self.fit_batch,
            lr: self.fit_lr,
            head_points: self.head_points,
            eval_points: self.fit_eval_points,
            ..FitConfig::default()
        }
    }

    /// The Neural IVP configuration with `frequencies` embedding frequencies and RK `method`.
    pub fn nivp(&self, frequencies: usize, method: RkScheme) -> NeuralIvpConfig {
        NeuralIvpConfig {
            network: NetworkConfig {
                width: self.width,
                depth: self.depth,
                embedding: Some(EmbeddingConfig {
                    frequencies,
                    ..EmbeddingConfig::default()
                }),
                ..NetworkConfig::default()
            },
            seed: 0,
            points: self.points,
            fit: self.fit(),
            solver: LinearSolveConfig {
                rank: self.rank,
                ..LinearSolveConfig::default()
            },
            // the public code's step acceptance (its `solve_ode`): ‖e‖₂ ≤ 1e-4·‖θ₀‖₂; the mixed
            // norm with atol = rtol = 1e-4 accepts about 10× the error per component when
            // |θᵢ| ≈ 0.1 (the README's heat 2D and advection controls)
            integrator: StepControl {
                method,
                rtol: 1e-4,
                norm: ErrorNorm::InitialScaled,
                ..StepControl::default()
            },
            // refits use the initial fit's settings (`fit: None`), as the public code
            restart: RestartConfig {
                cg_iters: self.restart_cg_iters,
                ..RestartConfig::default()
            },
            eval_points: self.eval_points,
            eval_interior: 0.0,
            resample_every: 1,
        }
    }

    /// The EDNN configuration for a horizon `t_end`.
    pub fn ednn(&self, t_end: f64) -> EdnnConfig {
        EdnnConfig {
            points: self.ednn_points,
            dt: t_end / self.ednn_steps as f64,
            fit: FitConfig {
                head_points: 0,
                ..self.fit()
            },
            eval_points: self.eval_points,
            ..EdnnConfig::default()
        }
    }

    /// The RK method of the paper for a problem (RK45, but RK23 for wave maps), as far as the
    /// preset affords it.
    pub fn method(&self, wave_maps: bool) -> RkScheme {
        if wave_maps {
            RkScheme::Bs23
        } else {
            self.method
        }
    }
}
