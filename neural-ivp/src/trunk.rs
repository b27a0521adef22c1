//! One network of a [`Network`](crate::Network): the embedding, then a [`prdp_nn::Mlp`]
//! (hidden layers and a linear head for some of the network's outputs) whose rows are scaled
//! by the Dirichlet factor, with its parameters in a contiguous slice of θ. The parameter
//! derivatives and the propagation of input jets are the MLP's; the embedding and the factor
//! are Neural IVP's own.

use prdp_nn::{Init, Mlp, MlpConfig, MlpForward};
use rand_chacha::ChaCha8Rng;

use crate::error::Result;
use crate::network::NetworkConfig;

/// One trunk: embedding → [`Mlp`] with `outputs` head rows → times the Dirichlet factor. Holds
/// no parameters; every evaluation takes the trunk's slice of θ.
#[derive(Debug, Clone)]
pub(crate) struct Trunk {
    config: NetworkConfig,
    dim: usize,
    features: usize,
    /// The hidden layers and the head.
    pub mlp: Mlp,
    /// Per embedding feature: (coordinate, angular frequency, amplitude, is_cos).
    pub feature_table: Vec<(usize, f64, f64, bool)>,
}

impl Trunk {
    /// The trunk of `config` for inputs in ℝ^`dim` with `outputs` head rows (config already
    /// validated).
    ///
    /// # Errors
    /// [`crate::IvpError::Nn`] if the MLP cannot be built.
    pub fn new(config: &NetworkConfig, dim: usize, outputs: usize) -> Result<Self> {
        let mut feature_table = Vec::new();
        let features = match &config.embedding {
            None => dim,
            Some(e) => {
                for is_cos in [false, true] {
                    for k in 0..e.frequencies {
                        let w = std::f64::consts::FRAC_PI_2 * (1u64 << k) as f64;
                        let amp = e.scale * 2f64.powf(-e.alpha * k as f64);
                        for j in 0..dim {
                            feature_table.push((j, w, amp, is_cos));
                        }
                    }
                }
                2 * e.frequencies * dim
            }
        };
        let mlp = Mlp::new(&MlpConfig {
            in_features: features,
            out_features: outputs,
            width: config.width,
            depth: config.depth,
            activation: config.activation,
            final_activation: None,
            bias: true,
            init: Init::TruncatedNormal,
        })?;
        Ok(Self {
            config: config.clone(),
            dim,
            features,
            mlp,
            feature_table,
        })
    }

    /// The architecture.
    pub fn config(&self) -> &NetworkConfig {
        &self.config
    }

    /// Input dimension d.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of head rows (outputs of this trunk).
    pub fn outputs(&self) -> usize {
        self.mlp.outputs()
    }

    /// Number of input features of the first dense layer.
    pub fn features(&self) -> usize {
        self.features
    }

    /// Number of parameters of the trunk.
    pub fn num_params(&self) -> usize {
        self.mlp.num_params()
    }

    /// Writes fresh parameters into `theta` (the trunk's slice), drawn from `rng`: weights
    /// from a normal distribution truncated at two standard deviations with std 1/√fan_in,
    /// biases zero ([`Init::TruncatedNormal`]).
    pub fn init(&self, rng: &mut ChaCha8Rng, theta: &mut [f64]) {
        self.mlp.init_from(rng, theta);
    }

    /// Evaluates the trunk at `points` (n × d row-major) and caches what J v and Jᵀ w need:
    /// the embedding is the MLP's input, the Dirichlet factor its row factor.
    ///
    /// # Errors
    /// [`crate::IvpError::Length`] if θ or the points have the wrong length.
    pub fn forward(&self, theta: &[f64], points: &[f64], fwd: &mut MlpForward) -> Result<()> {
        self.check_params(theta)?;
        let n = self.check_points(points)?;
        self.embed(points, fwd.input_mut(n, self.features));
        for (b, x) in fwd
            .scale_mut()
            .iter_mut()
            .zip(points.chunks_exact(self.dim))
        {
            *b = self.bump(x);
        }
        self.mlp.forward(theta, fwd)?;
        Ok(())
    }

    /// Writes the embedding features of `n` points (row-major n × d) into `out` (n × features).
    pub fn embed(&self, points: &[f64], out: &mut [f64]) {
        let d = self.dim;
        let nf = self.features;
        if self.config.embedding.is_none() {
            out.copy_from_slice(points);
            return;
        }
        for (x, row) in points.chunks_exact(d).zip(out.chunks_exact_mut(nf)) {
            for (f, &(j, w, amp, is_cos)) in self.feature_table.iter().enumerate() {
                let arg = w * x[j];
                row[f] = amp * if is_cos { arg.cos() } else { arg.sin() };
            }
        }
    }

    /// The Dirichlet factor B(x) = Π_j(1 − x_j²) (1 without `dirichlet`).
    #[inline]
    pub fn bump(&self, x: &[f64]) -> f64 {
        if self.config.dirichlet {
            x.iter().map(|v| 1.0 - v * v).product()
        } else {
            1.0
        }
    }

    /// Checks the length of the trunk's parameter slice.
    pub fn check_params(&self, theta: &[f64]) -> Result<()> {
        crate::error::check_len("parameter vector θ", self.num_params(), theta.len())
    }

    /// Checks a point set's length (a multiple of d) and returns the number of points.
    pub fn check_points(&self, points: &[f64]) -> Result<usize> {
        crate::network::count_points(self.dim, points)
    }
}
