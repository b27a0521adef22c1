//! The network u(x, θ): a scaled sinusoidal embedding, an MLP with swish (or tanh, or any
//! [`prdp_nn::Activation`]) activations
//! and a linear head per output (or one MLP shared by all outputs), and an output factor
//! Π_j(1 − x_j²) that imposes homogeneous Dirichlet conditions on [−1, 1]^d. Parameters live in
//! one flat `f64` vector with named [`ParamView`]s, trunk after trunk, in the layout of
//! `prdp-nn` (dense weights `[out, in]` row-major, then the bias).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

pub use prdp_nn::Activation;
use prdp_nn::ParamView;

use crate::error::{Result, at_least, config_err, positive};
use crate::trunk::Trunk;

/// The sinusoidal embedding of eq. 5 of the paper: for every coordinate x_j and k = 0, …, L−1,
/// the features `scale·2^(−αk)·sin(2^k·π/2·x_j)` and the same with cos (all sines first, then
/// all cosines; frequency-major, then coordinate): 2·L·d features.
///
/// # Reference
/// Finzi et al., *A Stable and Scalable Method for Solving Initial Value PDEs with Neural
/// Networks* (ICLR 2023), eq. 5 and appendix C (L = 5, α = 1, input scale 1.5). The public
/// code uses the amplitude 4·1.5/w_k^α with w_k = 2^k·π/2, i.e. the paper's features times
/// the constant 4·(2/π)^α; set `scale` to 6·(2/π)^α (12/π ≈ 3.82 at α = 1) to match it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmbeddingConfig {
    /// Number of frequencies L.
    pub frequencies: usize,
    /// Decay exponent α: frequency k is scaled by 2^(−αk).
    pub alpha: f64,
    /// Input scale multiplying every feature.
    pub scale: f64,
}

impl Default for EmbeddingConfig {
    fn default() -> Self {
        Self {
            frequencies: 5,
            alpha: 1.0,
            scale: 1.5,
        }
    }
}

/// Architecture of the network.
///
/// # Example
/// ```
/// use neural_ivp::{Network, NetworkConfig};
/// let net = Network::new(&NetworkConfig { width: 32, depth: 2, ..Default::default() }, 2, 1)?;
/// // embedding 2·5·2 = 20 features → 32 → 32 → 1
/// assert_eq!(net.num_params(), 20 * 32 + 32 + 32 * 32 + 32 + 32 + 1);
/// # Ok::<(), neural_ivp::IvpError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkConfig {
    /// Units per hidden layer.
    pub width: usize,
    /// Number of hidden layers.
    pub depth: usize,
    /// The sinusoidal embedding, or `None` to feed the raw coordinates (EDNN).
    pub embedding: Option<EmbeddingConfig>,
    /// Hidden activation (swish in Neural IVP, tanh in EDNN).
    pub activation: Activation,
    /// Multiply every output by Π_j(1 − x_j²) (homogeneous Dirichlet on [−1, 1]^d).
    pub dirichlet: bool,
    /// One trunk per output (the reference code) or one trunk with an m-row head.
    pub trunks: Trunks,
}

/// How the outputs of a network share its hidden layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trunks {
    /// Every output has its own embedding-fed MLP and head (`multi_output_nn` of the reference
    /// code): M̂ is block-diagonal and each equation's least squares is solved on its own, so
    /// an output of small magnitude keeps its weight.
    #[default]
    PerOutput,
    /// One MLP with an m-row head for all outputs (EDNN's network).
    Shared,
}

impl Default for NetworkConfig {
    /// The paper's network (appendix C): 3 hidden swish layers of 100 units, L = 5, α = 1, one
    /// trunk per output.
    fn default() -> Self {
        Self {
            width: 100,
            depth: 3,
            embedding: Some(EmbeddingConfig::default()),
            activation: Activation::Swish,
            dirichlet: true,
            trunks: Trunks::PerOutput,
        }
    }
}

impl NetworkConfig {
    /// The EDNN network of Du & Zaki: 4 hidden tanh layers of 30 units on the raw coordinates,
    /// shared by all outputs.
    pub fn ednn() -> Self {
        Self {
            width: 30,
            depth: 4,
            embedding: None,
            activation: Activation::Tanh,
            dirichlet: true,
            trunks: Trunks::Shared,
        }
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`crate::IvpError::Config`] naming the key (prefixed by `prefix`).
    pub fn validate(&self, prefix: &str) -> Result<()> {
        at_least(&format!("{prefix}.width"), self.width, 1)?;
        at_least(&format!("{prefix}.depth"), self.depth, 1)?;
        if let Some(e) = &self.embedding {
            at_least(&format!("{prefix}.embedding.frequencies"), e.frequencies, 1)?;
            if e.frequencies > 30 {
                return Err(config_err(
                    &format!("{prefix}.embedding.frequencies"),
                    e.frequencies,
                    "at most 30",
                ));
            }
            if !e.alpha.is_finite() {
                return Err(config_err(
                    &format!("{prefix}.embedding.alpha"),
                    e.alpha,
                    "finite",
                ));
            }
            positive(&format!("{prefix}.embedding.scale"), e.scale)?;
        }
        Ok(())
    }
}

/// The network: an architecture for a given input dimension and number of outputs, made of
/// one trunk per output ([`Trunks::PerOutput`]) or one trunk for all ([`Trunks::Shared`]). It
/// holds no parameters; every evaluation takes θ as a flat slice, the trunks' parameters one
/// after the other.
///
/// Output o depends only on the parameters of its trunk, so J is block-diagonal over the
/// trunks and so is the Gauss–Newton matrix M̂ = JᵀJ: each trunk's block
/// ([`Network::trunk_params`]) can be solved on its own.
#[derive(Debug, Clone)]
pub struct Network {
    config: NetworkConfig,
    dim: usize,
    outputs: usize,
    trunks: Vec<Trunk>,
    /// Offset of each trunk's parameters in θ, and p at the end.
    param_offsets: Vec<usize>,
    /// First output of each trunk, and m at the end.
    output_offsets: Vec<usize>,
    tensors: Vec<ParamView>,
}

impl PartialEq for Network {
    /// Networks are equal when built from the same config, dimension and outputs.
    fn eq(&self, other: &Self) -> bool {
        (&self.config, self.dim, self.outputs) == (&other.config, other.dim, other.outputs)
    }
}

impl Network {
    /// Builds the network for inputs in ℝ^`dim` and `outputs` outputs.
    ///
    /// # Errors
    /// [`crate::IvpError::Config`] for a bad config, a zero dimension or zero outputs.
    pub fn new(config: &NetworkConfig, dim: usize, outputs: usize) -> Result<Self> {
        config.validate("network")?;
        at_least("problem dimension", dim, 1)?;
        at_least("problem outputs", outputs, 1)?;
        let per_trunk = match config.trunks {
            Trunks::PerOutput => vec![1; outputs],
            Trunks::Shared => vec![outputs],
        };
        let (mut trunks, mut tensors) = (Vec::new(), Vec::new());
        let (mut param_offsets, mut output_offsets) = (vec![0], vec![0]);
        for (k, &m) in per_trunk.iter().enumerate() {
            let trunk = Trunk::new(config, dim, m)?;
            let offset = param_offsets[k];
            let prefix = if per_trunk.len() > 1 {
                format!("outputs.{k}.")
            } else {
                String::new()
            };
            tensors.extend(trunk.mlp.views().iter().map(|v| v.nested(&prefix, offset)));
            param_offsets.push(offset + trunk.num_params());
            output_offsets.push(output_offsets[k] + m);
            trunks.push(trunk);
        }
        Ok(Self {
            config: config.clone(),
            dim,
            outputs,
            trunks,
            param_offsets,
            output_offsets,
            tensors,
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

    /// Number of outputs m.
    pub fn outputs(&self) -> usize {
        self.outputs
    }

    /// Number of input features of the first dense layer (2·L·d, or d without embedding).
    pub fn features(&self) -> usize {
        self.trunks[0].features()
    }

    /// Width of the last hidden layer (the head's input).
    pub fn width(&self) -> usize {
        self.config.width
    }

    /// Number of parameters p.
    pub fn num_params(&self) -> usize {
        self.param_offsets[self.trunks.len()]
    }

    /// Number of trunks (m with [`Trunks::PerOutput`], 1 with [`Trunks::Shared`]).
    pub fn trunks(&self) -> usize {
        self.trunks.len()
    }

    /// The index range of trunk `k`'s parameters in θ (its diagonal block of M̂).
    ///
    /// # Panics
    /// If `k` is not below [`Network::trunks`].
    pub fn trunk_params(&self, k: usize) -> core::ops::Range<usize> {
        self.param_offsets[k]..self.param_offsets[k + 1]
    }

    /// The outputs computed by trunk `k`.
    ///
    /// # Panics
    /// If `k` is not below [`Network::trunks`].
    pub fn trunk_outputs(&self, k: usize) -> core::ops::Range<usize> {
        self.output_offsets[k]..self.output_offsets[k + 1]
    }

    /// Trunk `k`.
    pub(crate) fn trunk(&self, k: usize) -> &Trunk {
        &self.trunks[k]
    }

    /// The named tensors of the flat parameter vector, in order.
    pub fn tensors(&self) -> &[ParamView] {
        &self.tensors
    }

    /// The head (last layer) of trunk `k`: the index ranges in θ of its weights
    /// (`[outputs of the trunk, width]`) and biases.
    ///
    /// # Panics
    /// If `k` is not below [`Network::trunks`].
    pub fn head(&self, k: usize) -> (core::ops::Range<usize>, core::ops::Range<usize>) {
        let off = self.param_offsets[k];
        let (w, b) = self.trunks[k].mlp.head();
        (off + w.start..off + w.end, off + b.start..off + b.end)
    }

    /// Fresh parameters from `seed`: weights from a normal distribution truncated at two
    /// standard deviations with std 1/√fan_in (Haiku's default, as in the reference code),
    /// biases zero. One ChaCha8 stream seeded with `seed` fills the trunks in order.
    pub fn init(&self, seed: u64) -> Vec<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut theta = vec![0.0; self.num_params()];
        for (k, trunk) in self.trunks.iter().enumerate() {
            trunk.init(&mut rng, &mut theta[self.trunk_params(k)]);
        }
        theta
    }

    /// Checks a parameter vector's length.
    pub(crate) fn check_params(&self, theta: &[f64]) -> Result<()> {
        crate::error::check_len("parameter vector θ", self.num_params(), theta.len())
    }

    /// Checks a point set's length (a multiple of d) and returns the number of points.
    pub(crate) fn check_points(&self, points: &[f64]) -> Result<usize> {
        count_points(self.dim, points)
    }
}

/// The number of points in a row-major point set of dimension `dim`.
pub(crate) fn count_points(dim: usize, points: &[f64]) -> Result<usize> {
    if !points.len().is_multiple_of(dim) {
        return Err(crate::IvpError::Length {
            what: format!("point set (a multiple of d = {dim})"),
            expected: points.len().div_ceil(dim) * dim,
            got: points.len(),
        });
    }
    Ok(points.len() / dim)
}
