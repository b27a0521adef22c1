//! [`Mlp`]: a dense network of [`MlpConfig`] in `f64` with everything forward mode needs, for
//! Neural IVP: a cached forward pass ([`MlpForward`]), products with the parameter Jacobian
//! for one tangent or a block of tangents (`tangent.rs`), the Gauss–Newton product from cached
//! output sensitivities (`gauss_newton.rs`), the dense Jacobian, and input jets to second order
//! (`jets.rs`).
//!
//! The parameters are laid out and initialised exactly as those of
//! `Model::new(Architecture::Mlp(config))`, so a [`Model`] and an [`Mlp`] of one config read
//! the same flat vector.

mod gauss_newton;
mod jets;
mod tangent;

pub use jets::{Derivatives, hessian_index};
pub use tangent::{JacobianBlock, MlpWorkspace};

use std::sync::atomic::{AtomicU64, Ordering};

use rand_chacha::ChaCha8Rng;

use crate::config::{Architecture, MlpConfig};
use crate::error::{NnError, Result, check_len, invalid};
use crate::model::Model;
use crate::plan::Op;
use crate::view::ParamView;
use crate::{Activation, dense::Dense};

/// A dense layer of an [`Mlp`]: `n_out × n_in` weights at `w`, `n_out` biases at `b` (offsets
/// in the parameter vector).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Layer {
    n_in: usize,
    n_out: usize,
    w: usize,
    b: usize,
}

impl Layer {
    /// The layer as the [`Model`]'s dense layer, whose forward pass it shares.
    fn dense(self) -> Dense {
        Dense {
            inp: self.n_in,
            out: self.n_out,
            weight: self.w,
            bias: Some(self.b),
        }
    }
}

/// A multilayer perceptron in `f64`: `depth` hidden layers with one activation, then a linear
/// head, with an optional per-row output factor sᵢ (uᵢ = sᵢ·(W a + b), e.g. a boundary factor
/// or the square root of an importance weight). Holds no parameters.
///
/// Besides the value it computes, over a cached forward pass, J v and Jᵀ w for the parameter
/// Jacobian J (one tangent, or blocks of r tangents at once through stacked weights), Jᵀ J v,
/// the dense Jacobian, and jets of the input derivatives to second order. Every product is
/// split over at most [`crate::lanes::LANES`] lanes fixed by the problem's size and reduced in
/// lane order: the results are bit-identical for any number of threads.
///
/// # Example
/// ```
/// use prdp_nn::{Activation, Init, Mlp, MlpConfig, MlpForward, MlpWorkspace};
/// let mlp = Mlp::new(&MlpConfig {
///     in_features: 2, out_features: 1, width: 8, depth: 2,
///     activation: Activation::Swish, init: Init::TruncatedNormal, ..Default::default()
/// })?;
/// let theta = mlp.init(0);
/// let mut fwd = MlpForward::new();
/// fwd.input_mut(3, 2).copy_from_slice(&[0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
/// fwd.scale_mut().fill(1.0);
/// mlp.forward(&theta, &mut fwd)?;
/// // J v for v = e_0 (the first weight), at three points
/// let mut v = vec![0.0; mlp.num_params()];
/// v[0] = 1.0;
/// let mut jv = vec![0.0; 3];
/// mlp.jvp_block(&theta, &fwd, &v, 1, &mut jv, &mut MlpWorkspace::new())?;
/// assert!(jv.iter().all(|x| x.is_finite()));
/// # Ok::<(), prdp_nn::NnError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Mlp {
    model: Model<f64>,
    activation: Activation,
    /// Hidden layers followed by the head.
    layers: Vec<Layer>,
}

/// The identifier of the next forward pass ([`MlpForward`]'s `id`).
static FORWARD_PASSES: AtomicU64 = AtomicU64::new(1);

/// An [`Mlp`] evaluated on a batch of rows, with what its derivatives need: the input of every
/// layer, σ′ of every hidden pre-activation, the row factors and the outputs. Reused across
/// calls (buffers only grow).
#[derive(Debug, Clone, Default)]
pub struct MlpForward {
    /// Which forward pass the cache holds (unique per [`Mlp::forward`] call; 0: none), so that
    /// what a workspace derives from it is recomputed when it changes.
    id: u64,
    n: usize,
    /// `acts[l]` is the input of layer l (`acts[0]` the network's input).
    acts: Vec<Vec<f64>>,
    /// `sder[l]` is σ′(z_l) of hidden layer l.
    sder: Vec<Vec<f64>>,
    /// The row factors sᵢ.
    scale: Vec<f64>,
    /// The outputs, n × outputs row-major.
    out: Vec<f64>,
}

impl MlpForward {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of rows of the last evaluation (or of the input being set).
    pub fn len(&self) -> usize {
        self.n
    }

    /// Whether the cache holds no rows.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// Sets the batch to `n` rows of `features` inputs and returns the input (n × features,
    /// row-major) to be written; also sizes the row factors ([`MlpForward::scale_mut`]).
    pub fn input_mut(&mut self, n: usize, features: usize) -> &mut [f64] {
        self.id = 0;
        self.n = n;
        if self.acts.is_empty() {
            self.acts.push(Vec::new());
        }
        self.acts[0].resize(n * features, 0.0);
        self.scale.resize(n, 0.0);
        &mut self.acts[0]
    }

    /// The row factors sᵢ (one per row): set them before [`Mlp::forward`]; changing them after
    /// scales the rows of J without changing the cached outputs.
    pub fn scale_mut(&mut self) -> &mut [f64] {
        &mut self.scale
    }

    /// The row factors sᵢ.
    pub fn scale(&self) -> &[f64] {
        &self.scale
    }

    /// The outputs uᵢ, n × outputs row-major.
    pub fn output(&self) -> &[f64] {
        &self.out
    }

    /// The head's input (the last hidden layer's activations), n × width row-major.
    pub fn features(&self) -> &[f64] {
        self.acts.last().map_or(&[], Vec::as_slice)
    }
}

impl Mlp {
    /// The network of `config`.
    ///
    /// # Errors
    /// [`NnError::Config`] for the errors of [`Model::new`], a config without biases or with a
    /// final activation (the head is linear).
    pub fn new(config: &MlpConfig) -> Result<Self> {
        if !config.bias {
            return Err(invalid(
                "mlp.bias",
                config.bias,
                "true (Mlp layers have biases)",
            ));
        }
        if let Some(f) = config.final_activation {
            return Err(invalid(
                "mlp.final_activation",
                format!("{f:?}"),
                "none (the head of an Mlp is linear)",
            ));
        }
        let model = Model::new(Architecture::Mlp(config.clone()))?;
        let layers = model
            .plan
            .steps
            .iter()
            .filter_map(|s| match s.op {
                Op::Dense(Dense {
                    inp,
                    out,
                    weight,
                    bias: Some(b),
                }) => Some(Layer {
                    n_in: inp,
                    n_out: out,
                    w: weight,
                    b,
                }),
                _ => None,
            })
            .collect();
        Ok(Self {
            model,
            activation: config.activation,
            layers,
        })
    }

    /// Number of inputs per row.
    pub fn inputs(&self) -> usize {
        self.layers[0].n_in
    }

    /// Number of outputs per row.
    pub fn outputs(&self) -> usize {
        self.layers[self.layers.len() - 1].n_out
    }

    /// Number of parameters.
    pub fn num_params(&self) -> usize {
        self.model.num_params()
    }

    /// The named tensors (`layers.{l}.weight` `[out, in]`, `layers.{l}.bias`; the last layer
    /// is the head), in parameter order.
    pub fn views(&self) -> &[ParamView] {
        self.model.views()
    }

    /// The index ranges of the head's weights (`[outputs, width]`) and biases.
    pub fn head(&self) -> (core::ops::Range<usize>, core::ops::Range<usize>) {
        let h = self.layers[self.layers.len() - 1];
        (h.w..h.b, h.b..h.b + h.n_out)
    }

    /// The widest layer input or output.
    pub fn widest(&self) -> usize {
        self.layers
            .iter()
            .map(|l| l.n_in.max(l.n_out))
            .max()
            .unwrap_or(1)
    }

    /// Fresh parameters from a ChaCha8 stream seeded with `seed` (as [`Model::init`]).
    pub fn init(&self, seed: u64) -> Vec<f64> {
        self.model.init(seed)
    }

    /// Writes fresh parameters into `theta`, drawn from `rng` (so that several networks can
    /// draw from one stream, in order).
    ///
    /// # Panics
    /// If `theta` does not have [`Mlp::num_params`] entries.
    pub fn init_from(&self, rng: &mut ChaCha8Rng, theta: &mut [f64]) {
        self.model.init_from(rng, theta);
    }

    /// Evaluates the network on the input and row factors set in `fwd`
    /// ([`MlpForward::input_mut`], [`MlpForward::scale_mut`]) and caches what the derivatives
    /// need.
    ///
    /// # Errors
    /// [`NnError::Length`] if θ or the input have the wrong length.
    pub fn forward(&self, theta: &[f64], fwd: &mut MlpForward) -> Result<()> {
        check_len("mlp parameters θ", self.num_params(), theta.len())?;
        let n = fwd.n;
        check_len(
            "mlp input (set with input_mut)",
            n * self.inputs(),
            fwd.acts.first().map_or(0, Vec::len),
        )?;
        check_len("mlp row factors", n, fwd.scale.len())?;
        let depth = self.layers.len() - 1;
        let m = self.outputs();
        fwd.acts.resize(depth + 1, Vec::new());
        fwd.sder.resize(depth, Vec::new());
        for l in 0..depth {
            let layer = self.layers[l];
            let (lo, hi) = fwd.acts.split_at_mut(l + 1);
            let input = &lo[l];
            let z = &mut hi[0];
            z.resize(n * layer.n_out, 0.0);
            layer
                .dense()
                .forward(theta, input, z, n, rayon::current_num_threads());
            let sd = &mut fwd.sder[l];
            sd.resize(n * layer.n_out, 0.0);
            self.activation.forward_with_derivative(z, sd);
        }
        let head = self.layers[depth];
        fwd.out.resize(n * m, 0.0);
        head.dense().forward(
            theta,
            &fwd.acts[depth],
            &mut fwd.out,
            n,
            rayon::current_num_threads(),
        );
        for (row, &s) in fwd.out.chunks_exact_mut(m).zip(&fwd.scale) {
            for u in row {
                *u *= s;
            }
        }
        fwd.id = FORWARD_PASSES.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Checks θ and that `fwd` holds a forward pass of this network; returns its rows.
    fn check_linearization(&self, theta: &[f64], fwd: &MlpForward) -> Result<usize> {
        check_len("mlp parameters θ", self.num_params(), theta.len())?;
        if fwd.acts.len() != self.layers.len() || fwd.out.len() != fwd.n * self.outputs() {
            return Err(NnError::WorkspaceMismatch {
                detail: "the forward cache holds no forward pass of this network".into(),
            });
        }
        Ok(fwd.n)
    }
}
