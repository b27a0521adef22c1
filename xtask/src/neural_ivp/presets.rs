//! Sizes of the quick and full reproductions.

use neural_ivp::ednn::EdnnConfig;
use neural_ivp::{
    EmbeddingConfig, FitConfig, LinearSolveConfig, Method, NetworkConfig, NeuralIvpConfig,
    RestartConfig, StepControl,
};

/// Sizes of one mode.
#[derive(Clone, Debug)]
pub(crate) struct Preset {
    pub quick: bool,
    /// Hidden width and depth of the Neural IVP network (paper: 100 × 3).
    pub width: usize,
    pub depth: usize,
    /// Monte Carlo points per step (paper: 10–50 thousand).
    pub points: usize,
    /// Nyström rank (paper: 200–350).
    pub rank: usize,
    /// Adam iterations of the initial fit (paper: 50 000).
    pub fit_iters: usize,
    pub fit_batch: usize,
    /// EDNN collocation points and RK4 steps over the horizon.
    pub ednn_points: usize,
    pub ednn_steps: usize,
    /// Reference grids per axis (2D, 3D).
    pub grid2d: usize,
    pub grid3d: usize,
    /// Output times per run.
    pub outputs: usize,
    /// Fraction of the paper's horizon integrated.
    pub horizon: f64,
    /// Fokker–Planck sweep dimensions.
    pub fp_dims: Vec<usize>,
    /// Figure 2 frequencies and widths.
    pub fig2_freqs: Vec<f64>,
    pub fig2_widths: Vec<usize>,
    /// Parameter counts of the scaling study.
    pub scaling_widths: Vec<usize>,
    pub scaling_ednn_widths: Vec<usize>,
}

impl Preset {
    pub fn new(quick: bool) -> Self {
        if quick {
            Self {
                quick,
                width: 40,
                depth: 3,
                points: 1000,
                rank: 40,
                fit_iters: 1200,
                fit_batch: 500,
                ednn_points: 600,
                ednn_steps: 8,
                grid2d: 128,
                grid3d: 40,
                outputs: 5,
                horizon: 0.5,
                fp_dims: vec![2, 5, 10, 20],
                fig2_freqs: vec![0.5, 1.0, 2.0],
                fig2_widths: vec![16, 32, 64],
                scaling_widths: vec![56, 180, 560],
                scaling_ednn_widths: vec![16, 24, 34],
            }
        } else {
            Self {
                quick,
                width: 100,
                depth: 3,
                points: 10_000,
                rank: 200,
                fit_iters: 20_000,
                fit_batch: 2_000,
                ednn_points: 5_000,
                ednn_steps: 100,
                grid2d: 500,
                grid3d: 100,
                outputs: 11,
                horizon: 1.0,
                fp_dims: vec![2, 4, 6, 8, 10, 12, 14, 16, 18, 20],
                fig2_freqs: vec![0.5, 1.0, 2.0, 4.0],
                fig2_widths: vec![16, 32, 64, 128, 256],
                scaling_widths: vec![56, 180, 560, 1000],
                scaling_ednn_widths: vec![16, 24, 34, 48, 58],
            }
        }
    }

    /// The fit settings.
    pub fn fit(&self) -> FitConfig {
        FitConfig {
            iters: self.fit_iters,
            batch: self.fit_batch,
            lr: if self.quick { 5e-3 } else { 1e-3 },
            head_points: if self.quick { 10_000 } else { 100_000 },
            eval_points: if self.quick { 4_000 } else { 20_000 },
            ..FitConfig::default()
        }
    }

    /// The Neural IVP configuration with `frequencies` embedding frequencies.
    pub fn nivp(&self, frequencies: usize, method: Method) -> NeuralIvpConfig {
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
            integrator: StepControl {
                method,
                rtol: 1e-4,
                atol: 1e-4,
                ..StepControl::default()
            },
            restart: RestartConfig {
                cg_iters: if self.quick { 150 } else { 300 },
                fit: Some(FitConfig {
                    iters: self.fit_iters / 2,
                    ..self.fit()
                }),
                ..RestartConfig::default()
            },
            eval_points: if self.quick { 1000 } else { 10_000 },
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
            eval_points: if self.quick { 1000 } else { 10_000 },
            ..EdnnConfig::default()
        }
    }

    /// The RK method of the paper for a problem (RK45, but RK23 for wave maps); the quick
    /// mode uses RK23 everywhere.
    pub fn method(&self, wave_maps: bool) -> Method {
        if self.quick || wave_maps {
            Method::Bs23
        } else {
            Method::Dp54
        }
    }
}
