//! Architecture configurations: serde types that [`crate::Model::new`] validates and builds.

use serde::{Deserialize, Serialize};

use crate::{Activation, Init};

/// How a convolution treats grid points outside the domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Padding {
    /// The grid wraps around (periodic domains).
    #[default]
    #[serde(alias = "periodic")]
    Circular,
    /// Values outside the grid are zero (homogeneous Dirichlet boundaries).
    #[serde(alias = "dirichlet")]
    Zero,
}

impl From<prdp_core::Boundary> for Padding {
    fn from(b: prdp_core::Boundary) -> Self {
        match b {
            prdp_core::Boundary::Periodic => Self::Circular,
            prdp_core::Boundary::Dirichlet => Self::Zero,
        }
    }
}

/// A network architecture. Serialised with a `kind` tag:
/// `{"kind": "mlp", "in_features": 30, …}`, `{"kind": "resnet", …}` or
/// `{"kind": "sequential", …}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Architecture {
    /// A multilayer perceptron.
    Mlp(MlpConfig),
    /// A classic convolutional ResNet in 1D, 2D or 3D.
    #[serde(rename = "resnet")]
    ResNet(ResNetConfig),
    /// Any sequence of layers, including residual blocks.
    Sequential(SequentialConfig),
}

/// A multilayer perceptron `in → width (× depth) → out`: `depth` hidden layers, each a dense
/// layer followed by `activation`, then a dense output layer (followed by `final_activation`, if
/// any). Parameters are named `layers.{i}.weight` (`[out, in]`) and `layers.{i}.bias`.
///
/// The default is the heat 1D emulator of the PRDP paper: 30 → 64 → 64 → 64 → 30, ReLU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MlpConfig {
    /// Input features.
    pub in_features: usize,
    /// Output features.
    pub out_features: usize,
    /// Units per hidden layer.
    pub width: usize,
    /// Number of hidden layers (0 gives a single dense layer).
    pub depth: usize,
    /// Activation after every hidden layer.
    pub activation: Activation,
    /// Activation after the output layer (none by default).
    pub final_activation: Option<Activation>,
    /// Whether dense layers have biases.
    pub bias: bool,
    /// Parameter initialisation.
    pub init: Init,
}

impl Default for MlpConfig {
    fn default() -> Self {
        Self {
            in_features: 30,
            out_features: 30,
            width: 64,
            depth: 3,
            activation: Activation::Relu,
            final_activation: None,
            bias: true,
            init: Init::Uniform,
        }
    }
}

/// A classic ResNet (pdequinox's `ClassicResNet`): a lifting convolution `in_channels →
/// hidden_channels`, `blocks` residual blocks, and a projection convolution `hidden_channels →
/// out_channels`. Each block is conv → activation → conv → (+ identity skip) → activation
/// (post-activation, no normalisation). Samples are `[channels, grid…]`, row-major.
///
/// Parameters are named `lifting.weight`, `blocks.{b}.conv1.weight`, `blocks.{b}.conv2.bias`,
/// `projection.weight`, …; convolution weights are `[out_channels, in_channels, k…]`.
///
/// The default is the Burgers 1D network of the PRDP benchmarks: one field on 256 periodic
/// points, 6 blocks of 32 channels, kernel 3, ReLU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ResNetConfig {
    /// Spatial grid, 1 to 3 axes (the last contiguous), e.g. `[48, 48]`.
    pub grid: Vec<usize>,
    /// Input channels (fields).
    pub in_channels: usize,
    /// Output channels (fields).
    pub out_channels: usize,
    /// Channels inside the blocks.
    pub hidden_channels: usize,
    /// Number of residual blocks.
    pub blocks: usize,
    /// Kernel size of the block convolutions (every axis).
    pub kernel_size: usize,
    /// Kernel size of the lifting convolution.
    pub lifting_kernel_size: usize,
    /// Kernel size of the projection convolution.
    pub projection_kernel_size: usize,
    /// Boundary treatment of every convolution.
    pub padding: Padding,
    /// Activation inside and after every block.
    pub activation: Activation,
    /// Whether convolutions have biases.
    pub bias: bool,
    /// Parameter initialisation.
    pub init: Init,
}

impl Default for ResNetConfig {
    fn default() -> Self {
        Self {
            grid: vec![256],
            in_channels: 1,
            out_channels: 1,
            hidden_channels: 32,
            blocks: 6,
            kernel_size: 3,
            lifting_kernel_size: 1,
            projection_kernel_size: 1,
            padding: Padding::Circular,
            activation: Activation::Relu,
            bias: true,
            init: Init::Uniform,
        }
    }
}

/// A sequence of layers applied to samples of `input_shape` (`[features]` for dense layers,
/// `[channels, grid…]` for convolutions). Parameters are named by position:
/// `{i}.weight`, `{i}.body.{j}.bias`, ….
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SequentialConfig {
    /// Shape of one input sample.
    pub input_shape: Vec<usize>,
    /// The layers, applied in order.
    pub layers: Vec<LayerConfig>,
    /// Parameter initialisation.
    #[serde(default)]
    pub init: Init,
}

/// One layer of a [`SequentialConfig`]. Serialised with a `kind` tag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum LayerConfig {
    /// A dense layer on `[features]` samples.
    Linear {
        /// Output features.
        out_features: usize,
        /// Whether the layer has a bias.
        #[serde(default = "yes")]
        bias: bool,
    },
    /// A stride-1 "same" convolution on `[channels, grid…]` samples (1D, 2D or 3D by the grid).
    Conv {
        /// Output channels.
        out_channels: usize,
        /// Kernel size along every axis (at most the grid extent).
        kernel_size: usize,
        /// Boundary treatment.
        #[serde(default)]
        padding: Padding,
        /// Whether the layer has a bias.
        #[serde(default = "yes")]
        bias: bool,
    },
    /// An element-wise activation.
    Activation {
        /// The function.
        function: Activation,
    },
    /// `x ↦ act(x + body(x))`; the body must preserve the sample shape.
    Residual {
        /// The layers of the residual branch (at least one).
        body: Vec<LayerConfig>,
        /// Activation applied after the sum, if any.
        #[serde(default)]
        activation: Option<Activation>,
    },
}

fn yes() -> bool {
    true
}
