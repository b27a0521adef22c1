//! Save and load: architecture, parameters and optimiser state in one safetensors file.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use prdp_core::Real;
use safetensors::{Dtype, SafeTensors, View};

use crate::config::Architecture;
use crate::error::{NnError, Result, check_len};
use crate::model::Model;
use crate::optim::{OptState, Optimizer};

/// The checkpoint format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

const FORMAT_KEY: &str = "format";
const FORMAT_NAME: &str = "prdp-nn";
const VERSION_KEY: &str = "format_version";
const ARCH_KEY: &str = "architecture";
const OPT_KEY: &str = "optimizer";
const STEP_KEY: &str = "optimizer_step";
const PARAM_PREFIX: &str = "param";

/// An optimiser's configuration and state, as stored in a checkpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct OptimizerCheckpoint<T> {
    /// The optimiser.
    pub config: Optimizer,
    /// Its state for the checkpoint's parameters.
    pub state: OptState<T>,
}

/// Everything needed to resume training: the architecture, the flat parameters and optionally
/// the optimiser.
///
/// The file is a safetensors file (readable from Python with `safetensors.numpy.load_file`)
/// holding one tensor per view, named `param/<view name>` (e.g. `param/layers.0.weight`), and
/// the optimiser moments as `adam_m/<view name>`, `adam_v/<view name>` or
/// `sgd_trace/<view name>`. The metadata holds `format = "prdp-nn"`, `format_version`, the
/// architecture as JSON, and the optimiser as JSON with its step count. Tensors are stored in
/// the scalar type of `T`; loading converts between `f32` and `f64`.
///
/// # Example
/// ```
/// use prdp_nn::{Architecture, Checkpoint, MlpConfig, Model};
/// let model = Model::<f32>::new(Architecture::Mlp(MlpConfig::default()))?;
/// let ckpt = Checkpoint::new(&model, model.init(7), None)?;
/// let bytes = ckpt.to_bytes()?;
/// let back = Checkpoint::<f32>::from_bytes_for(&bytes, &model)?;
/// assert_eq!(back, ckpt);
/// # Ok::<(), prdp_nn::NnError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint<T> {
    /// The architecture.
    pub architecture: Architecture,
    /// The flat parameter vector.
    pub params: Vec<T>,
    /// The optimiser, if saved.
    pub optimizer: Option<OptimizerCheckpoint<T>>,
}

/// One tensor to write: a shape and a slice of the flat buffer.
struct Tensor<'a, T> {
    shape: Vec<usize>,
    data: &'a [T],
}

impl<T: Real> View for Tensor<'_, T> {
    fn dtype(&self) -> Dtype {
        dtype::<T>()
    }

    fn shape(&self) -> &[usize] {
        &self.shape
    }

    fn data(&self) -> Cow<'_, [u8]> {
        let mut out = Vec::with_capacity(self.data_len());
        for &x in self.data {
            if dtype::<T>() == Dtype::F32 {
                out.extend_from_slice(&(x.as_f64() as f32).to_le_bytes());
            } else {
                out.extend_from_slice(&x.as_f64().to_le_bytes());
            }
        }
        Cow::Owned(out)
    }

    fn data_len(&self) -> usize {
        self.data.len() * dtype::<T>().bitsize() / 8
    }
}

fn dtype<T: Real>() -> Dtype {
    if T::NAME == "f32" {
        Dtype::F32
    } else {
        Dtype::F64
    }
}

impl<T: Real> Checkpoint<T> {
    /// A checkpoint of `params` for `model`, with an optional optimiser.
    ///
    /// # Errors
    /// [`NnError::Length`] if `params` or the optimiser state does not fit the model.
    pub fn new(
        model: &Model<T>,
        params: Vec<T>,
        optimizer: Option<OptimizerCheckpoint<T>>,
    ) -> Result<Self> {
        let ckpt = Self {
            architecture: model.architecture().clone(),
            params,
            optimizer,
        };
        ckpt.check_lengths(model)?;
        Ok(ckpt)
    }

    /// Builds the checkpoint's model.
    ///
    /// # Errors
    /// As [`Model::new`].
    pub fn model(&self) -> Result<Model<T>> {
        Model::new(self.architecture.clone())
    }

    fn check_lengths(&self, model: &Model<T>) -> Result<()> {
        let n = model.num_params();
        check_len("checkpoint params", n, self.params.len())?;
        if let Some(o) = &self.optimizer {
            let [mu, nu] = o.config.slot_names();
            check_len(
                mu.unwrap_or("unused first moment"),
                if mu.is_some() { n } else { 0 },
                o.state.mu.len(),
            )?;
            check_len(
                nu.unwrap_or("unused second moment"),
                if nu.is_some() { n } else { 0 },
                o.state.nu.len(),
            )?;
        }
        Ok(())
    }

    /// Serialises the checkpoint to safetensors bytes.
    ///
    /// # Errors
    /// [`NnError::Config`] if the architecture is invalid, [`NnError::Length`] if a
    /// vector does not fit it.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let model = self.model()?;
        self.check_lengths(&model)?;
        let mut tensors = Vec::new();
        fn add<'a, T: Real>(
            tensors: &mut Vec<(String, Tensor<'a, T>)>,
            model: &Model<T>,
            prefix: &str,
            data: &'a [T],
        ) {
            for v in model.views() {
                tensors.push((
                    format!("{prefix}/{}", v.name),
                    Tensor {
                        shape: v.shape.clone(),
                        data: &data[v.range()],
                    },
                ));
            }
        }
        add(&mut tensors, &model, PARAM_PREFIX, &self.params);
        let mut meta = BTreeMap::from([
            (FORMAT_KEY.to_owned(), FORMAT_NAME.to_owned()),
            (VERSION_KEY.to_owned(), FORMAT_VERSION.to_string()),
            (ARCH_KEY.to_owned(), to_json(&self.architecture)?),
        ]);
        if let Some(o) = &self.optimizer {
            let [mu, nu] = o.config.slot_names();
            for (name, data) in [(mu, &o.state.mu), (nu, &o.state.nu)] {
                if let Some(name) = name {
                    add(&mut tensors, &model, name, data);
                }
            }
            meta.insert(OPT_KEY.to_owned(), to_json(&o.config)?);
            meta.insert(STEP_KEY.to_owned(), o.state.step.to_string());
        }
        let bytes =
            safetensors::serialize(tensors, None).map_err(|e| NnError::Format(e.to_string()))?;
        with_metadata(&bytes, &meta)
    }

    /// Writes the checkpoint to `path` (through a temporary file renamed into place, so an
    /// interrupted save never leaves a truncated checkpoint).
    ///
    /// # Errors
    /// As [`Self::to_bytes`], or [`NnError::Io`].
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let bytes = self.to_bytes()?;
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let io = |source| NnError::Io {
            path: path.display().to_string(),
            source,
        };
        std::fs::write(&tmp, bytes).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// Reads a checkpoint, building the model from the architecture it holds.
    ///
    /// # Errors
    /// As [`Self::from_bytes`], or [`NnError::Io`].
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        Self::from_bytes(&read(path.as_ref())?)
    }

    /// Reads a checkpoint that must fit `model`.
    ///
    /// # Errors
    /// As [`Self::from_bytes_for`], or [`NnError::Io`].
    pub fn load_for(path: impl AsRef<Path>, model: &Model<T>) -> Result<Self> {
        Self::from_bytes_for(&read(path.as_ref())?, model)
    }

    /// Parses checkpoint bytes, building the model from the architecture they hold.
    ///
    /// # Errors
    /// [`NnError::Format`] for bytes that are not a prdp-nn safetensors file,
    /// [`NnError::Version`] for another format version, and the tensor errors of
    /// [`Self::from_bytes_for`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        parse(bytes, None)
    }

    /// Parses checkpoint bytes that must fit `model`.
    ///
    /// # Errors
    /// As [`Self::from_bytes`], plus [`NnError::MissingTensor`], [`NnError::UnexpectedTensor`]
    /// and [`NnError::ShapeMismatch`] (naming the tensor and both shapes) when the tensors do
    /// not fit `model`, and [`NnError::ArchitectureMismatch`] when they do but the stored
    /// architecture differs (e.g. another activation).
    pub fn from_bytes_for(bytes: &[u8], model: &Model<T>) -> Result<Self> {
        parse(bytes, Some(model))
    }
}

/// Adds `meta` as the `__metadata__` entry of the header of the safetensors `bytes`, writing
/// the header's keys in sorted order.
///
/// safetensors 0.7 takes the metadata as a `HashMap` and writes it in the map's iteration
/// order, which is random: the same checkpoint would give other bytes on every save. Its
/// tensors are written sorted by dtype and name, and the header is a JSON object whose key
/// order readers ignore, so rewriting the header with sorted keys keeps the file valid and
/// makes equal checkpoints equal bytes.
fn with_metadata(bytes: &[u8], meta: &BTreeMap<String, String>) -> Result<Vec<u8>> {
    let (len, rest) = bytes
        .split_first_chunk::<8>()
        .ok_or_else(|| header_error("shorter than its length prefix"))?;
    let len = usize::try_from(u64::from_le_bytes(*len)).map_err(header_error)?;
    if len > rest.len() {
        return Err(header_error("longer than the file"));
    }
    let (header, data) = rest.split_at(len);
    let mut header: BTreeMap<String, serde_json::Value> =
        serde_json::from_slice(header).map_err(header_error)?;
    header.insert(
        "__metadata__".to_owned(),
        serde_json::to_value(meta).map_err(header_error)?,
    );
    let mut header = serde_json::to_vec(&header).map_err(header_error)?;
    header.resize(header.len().next_multiple_of(8), b' ');
    let mut out = Vec::with_capacity(8 + header.len() + data.len());
    out.extend_from_slice(&(header.len() as u64).to_le_bytes());
    out.extend_from_slice(&header);
    out.extend_from_slice(data);
    Ok(out)
}

fn header_error(e: impl core::fmt::Display) -> NnError {
    NnError::Format(format!("safetensors header: {e}"))
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| NnError::Io {
        path: path.display().to_string(),
        source,
    })
}

fn to_json(v: &impl serde::Serialize) -> Result<String> {
    serde_json::to_string(v).map_err(|e| NnError::Format(e.to_string()))
}

fn parse<T: Real>(bytes: &[u8], expected: Option<&Model<T>>) -> Result<Checkpoint<T>> {
    let file = SafeTensors::deserialize(bytes).map_err(|e| NnError::Format(e.to_string()))?;
    let (_, header) =
        SafeTensors::read_metadata(bytes).map_err(|e| NnError::Format(e.to_string()))?;
    let empty = HashMap::new();
    let meta = header.metadata().as_ref().unwrap_or(&empty);
    let get = |key: &str| {
        meta.get(key)
            .ok_or_else(|| NnError::Format(format!("metadata key `{key}` is missing")))
    };
    if get(FORMAT_KEY)? != FORMAT_NAME {
        return Err(NnError::Format(format!(
            "metadata `{FORMAT_KEY}` is not `{FORMAT_NAME}`"
        )));
    }
    let version = get(VERSION_KEY)?;
    if version.parse::<u32>().ok() != Some(FORMAT_VERSION) {
        return Err(NnError::Version {
            found: version.clone(),
            supported: FORMAT_VERSION,
        });
    }
    let architecture: Architecture = serde_json::from_str(get(ARCH_KEY)?)
        .map_err(|e| NnError::Format(format!("architecture: {e}")))?;
    let optimizer: Option<Optimizer> = meta
        .get(OPT_KEY)
        .map(|s| serde_json::from_str(s).map_err(|e| NnError::Format(format!("optimizer: {e}"))))
        .transpose()?;
    let built;
    let model = match expected {
        Some(m) => m,
        None => {
            built = Model::<T>::new(architecture.clone())?;
            &built
        }
    };
    let mut prefixes = vec![PARAM_PREFIX];
    if let Some(o) = &optimizer {
        prefixes.extend(o.slot_names().into_iter().flatten());
    }
    let names: HashSet<String> = prefixes
        .iter()
        .flat_map(|p| model.views().iter().map(move |v| format!("{p}/{}", v.name)))
        .collect();
    let read_all = |prefix: &str| -> Result<Vec<T>> {
        let mut out = vec![T::zero(); model.num_params()];
        for v in model.views() {
            let name = format!("{prefix}/{}", v.name);
            let t = file.tensor(&name).map_err(|_| NnError::MissingTensor {
                tensor: name.clone(),
            })?;
            if t.shape() != v.shape.as_slice() {
                return Err(NnError::ShapeMismatch {
                    tensor: name,
                    expected: v.shape.clone(),
                    found: t.shape().to_vec(),
                });
            }
            decode(&name, t.dtype(), t.data(), &mut out[v.range()])?;
        }
        Ok(out)
    };
    let params = read_all(PARAM_PREFIX)?;
    let optimizer = match optimizer {
        None => None,
        Some(config) => {
            let step = get(STEP_KEY)?
                .parse::<u64>()
                .map_err(|e| NnError::Format(format!("{STEP_KEY}: {e}")))?;
            let [mu, nu] = config.slot_names().map(|s| s.map(&read_all).transpose());
            let state = OptState {
                step,
                mu: mu?.unwrap_or_default(),
                nu: nu?.unwrap_or_default(),
            };
            Some(OptimizerCheckpoint { config, state })
        }
    };
    if let Some(extra) = file.names().into_iter().find(|n| !names.contains(*n)) {
        return Err(NnError::UnexpectedTensor {
            tensor: extra.to_owned(),
        });
    }
    if &architecture != model.architecture() {
        return Err(NnError::ArchitectureMismatch {
            expected: to_json(model.architecture())?,
            found: to_json(&architecture)?,
        });
    }
    Ok(Checkpoint {
        architecture,
        params,
        optimizer,
    })
}

/// Converts little-endian `f32` or `f64` bytes into `out`.
fn decode<T: Real>(name: &str, dtype: Dtype, data: &[u8], out: &mut [T]) -> Result<()> {
    let width = match dtype {
        Dtype::F32 => 4,
        Dtype::F64 => 8,
        other => {
            return Err(NnError::Format(format!(
                "tensor `{name}` has dtype {other:?}, expected F32 or F64"
            )));
        }
    };
    if data.len() != width * out.len() {
        return Err(NnError::Format(format!(
            "tensor `{name}` holds {} bytes, expected {}",
            data.len(),
            width * out.len()
        )));
    }
    for (o, b) in out.iter_mut().zip(data.chunks_exact(width)) {
        *o = match *b {
            [a, b, c, d] => T::of(f64::from(f32::from_le_bytes([a, b, c, d]))),
            _ => T::of(f64::from_le_bytes(b.try_into().expect("8 bytes"))),
        };
    }
    Ok(())
}
