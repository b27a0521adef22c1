//! The error type of `prdp-nn`.

/// Everything a caller can get wrong when building, running, training or checkpointing a
/// network. Messages name the offending field, tensor or slice and the sizes involved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NnError {
    /// A configuration value is out of its valid range.
    #[error("config key `{key}`: {value} is invalid ({expected})")]
    Config {
        /// The config key, e.g. `"resnet.kernel_size"`.
        key: String,
        /// The value supplied, formatted.
        value: String,
        /// What a valid value looks like.
        expected: String,
    },

    /// A slice passed to a public entry point has the wrong length.
    #[error("{what} has length {got}, expected {expected}")]
    Length {
        /// The slice, e.g. `"input"` or `"param_grad"`.
        what: String,
        /// The required length.
        expected: usize,
        /// The length supplied.
        got: usize,
    },

    /// A batch size of zero, or one larger than the workspace was built for.
    #[error("batch size {batch} is not in 1..={capacity} (the workspace capacity)")]
    Batch {
        /// The batch size requested.
        batch: usize,
        /// The largest batch the workspace holds.
        capacity: usize,
    },

    /// `backward` was called on a workspace that holds no forward pass.
    #[error("backward needs a forward pass on this workspace first")]
    NoForward,

    /// The workspace was built for a model with a different structure.
    #[error("the workspace was built for a different model ({detail})")]
    WorkspaceMismatch {
        /// What differs.
        detail: String,
    },

    /// A value that must be finite and non-degenerate is not (e.g. a zero target norm in the
    /// normalised MSE).
    #[error("{what}: {detail}")]
    InvalidValue {
        /// The offending input.
        what: String,
        /// What is wrong with it.
        detail: String,
    },

    /// A checkpoint tensor has a different shape from the model's.
    #[error(
        "tensor `{tensor}` has shape {found:?} in the checkpoint, but the model expects {expected:?}"
    )]
    ShapeMismatch {
        /// The tensor name, e.g. `"param/layers.0.weight"`.
        tensor: String,
        /// The model's shape.
        expected: Vec<usize>,
        /// The checkpoint's shape.
        found: Vec<usize>,
    },

    /// A tensor the model needs is missing from the checkpoint.
    #[error("tensor `{tensor}` is missing from the checkpoint")]
    MissingTensor {
        /// The tensor name.
        tensor: String,
    },

    /// The checkpoint holds a tensor the model does not have.
    #[error("the checkpoint holds tensor `{tensor}`, which the model does not have")]
    UnexpectedTensor {
        /// The tensor name.
        tensor: String,
    },

    /// The checkpoint's architecture differs from the model's, though every tensor shape agrees.
    #[error("architecture mismatch: the checkpoint holds {found}, the model is {expected}")]
    ArchitectureMismatch {
        /// The model's architecture as JSON.
        expected: String,
        /// The checkpoint's architecture as JSON.
        found: String,
    },

    /// The checkpoint was written by an incompatible format version.
    #[error(
        "checkpoint format version {found} is not supported (this build reads version {supported})"
    )]
    Version {
        /// The version in the file.
        found: String,
        /// The version this build reads and writes.
        supported: u32,
    },

    /// The checkpoint is not a valid prdp-nn safetensors file.
    #[error("corrupt or foreign checkpoint: {0}")]
    Format(String),

    /// Reading or writing a file failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// Result alias with [`NnError`].
pub type Result<T, E = NnError> = core::result::Result<T, E>;

/// Builds an [`NnError::Config`].
pub(crate) fn invalid(key: &str, value: impl core::fmt::Display, expected: &str) -> NnError {
    NnError::Config {
        key: key.to_owned(),
        value: value.to_string(),
        expected: expected.to_owned(),
    }
}

/// Checks a slice length, naming it in the error.
pub(crate) fn check_len(what: &str, expected: usize, got: usize) -> Result<()> {
    if expected == got {
        Ok(())
    } else {
        Err(NnError::Length {
            what: what.to_owned(),
            expected,
            got,
        })
    }
}
