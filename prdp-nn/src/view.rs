//! Named views into the flat parameter buffer.

use core::ops::Range;

/// Whether a tensor multiplies its input or is added to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParamKind {
    /// A dense or convolution weight.
    Weight,
    /// A bias.
    Bias,
}

/// One tensor of a model: its name, where it lives in the flat parameter buffer and its shape
/// (row-major). Dense weights are `[out, in]`, convolution weights `[out_channels, in_channels,
/// k…]` (one `k` per spatial axis), biases `[out]`: the layouts of Equinox and PyTorch.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ParamView {
    /// Dotted path, e.g. `"layers.0.weight"` or `"blocks.2.conv1.bias"`.
    pub name: String,
    /// Index of the first entry in the flat buffer.
    pub offset: usize,
    /// Shape, row-major.
    pub shape: Vec<usize>,
    /// Weight or bias.
    pub kind: ParamKind,
    pub(crate) fan_in: usize,
    pub(crate) fan_out: usize,
}

impl ParamView {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether the tensor has no entries (never the case for a validated model).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The index range of the tensor in the flat buffer.
    pub fn range(&self) -> Range<usize> {
        self.offset..self.offset + self.len()
    }

    /// The same tensor as part of a larger buffer that holds this model's parameters from
    /// `base` on, its name prefixed by `prefix` (e.g. `"outputs.1."`).
    pub fn nested(&self, prefix: &str, base: usize) -> Self {
        Self {
            name: format!("{prefix}{}", self.name),
            offset: base + self.offset,
            ..self.clone()
        }
    }
}
