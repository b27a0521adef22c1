//! # prdp-nn
//!
//! Small, fast neural networks with a hand-written reverse mode, for training through PDE
//! solvers (PRDP) and for Neural IVP.
//!
//! - A [`Model`] is an [`Architecture`] (a serde config: [`MlpConfig`], [`ResNetConfig`] or any
//!   [`SequentialConfig`] of dense layers, 1D–3D convolutions with circular or zero
//!   [`Padding`], [`Activation`]s and residual blocks) compiled into a tape. Its parameters live
//!   in one flat `Vec<T>` with named [`ParamView`]s, initialised from a seed ([`Init`]).
//! - [`Model::forward`] runs a batch and keeps the activations in a reusable [`Workspace`];
//!   [`Model::backward`] turns an output cotangent into the parameter gradient (accumulated, so
//!   several network calls can share one gradient buffer) and, on request, the input gradient;
//!   [`Model::jvp`] is the forward-mode counterpart (Jacobian–vector products).
//!   Batches are split across threads (convolutional and small dense models) or dense products
//!   are (huge dense layers); products go through faer's GEMM; nothing allocates once the
//!   workspace exists.
//! - An [`Mlp`] is the dense network of an [`MlpConfig`] in `f64` with what Neural IVP needs
//!   over a cached forward pass: products with the parameter Jacobian for blocks of tangents
//!   (J V, Jᵀ W, Gauss–Newton Jᵀ J V), the dense Jacobian and input jets to second order
//!   ([`Derivatives`]), split over [`lanes`] so that results do not depend on the thread count.
//! - Losses [`mse`] and [`nmse`] return their gradients; [`Optimizer`] (SGD, Adam, AdamW, as in
//!   optax) updates any flat `&mut [T]` from a separate [`OptState`] with a learning-rate
//!   [`LrSchedule`].
//! - [`Checkpoint`] saves architecture, parameters and optimiser state in one safetensors file.
//!
//! Everything is generic over [`prdp_core::Real`]: training runs in `f32`, gradient tests and
//! Neural IVP in `f64`.
//!
//! # Example
//! ```
//! use prdp_nn::{Architecture, MlpConfig, Model, Optimizer, LrSchedule, mse};
//!
//! // Fit y = 2x with a small MLP.
//! let model = Model::<f64>::new(Architecture::Mlp(MlpConfig {
//!     in_features: 1, out_features: 1, width: 16, depth: 1, ..Default::default()
//! }))?;
//! let mut params = model.init(42);
//! let opt = Optimizer::adam(LrSchedule::Constant { value: 1e-2 });
//! let mut state = opt.init(params.len());
//! let mut ws = model.workspace(8)?;
//! let x: Vec<f64> = (0..8).map(|i| i as f64 / 8.0).collect();
//! let y: Vec<f64> = x.iter().map(|v| 2.0 * v).collect();
//! let (mut grad, mut y_bar) = (vec![0.0; params.len()], vec![0.0; 8]);
//! let mut first = 0.0;
//! for step in 0..200 {
//!     let pred = model.forward(&params, &x, 8, &mut ws)?;
//!     let loss = mse(pred, &y, Some(&mut y_bar))?;
//!     if step == 0 { first = loss; }
//!     model.backward_replace(&params, &mut ws, &y_bar, None, &mut grad)?;
//!     opt.update(&mut params, &grad, &mut state)?;
//! }
//! let pred = model.forward(&params, &x, 8, &mut ws)?;
//! assert!(mse(pred, &y, None)? < 0.01 * first);
//! # Ok::<(), prdp_nn::NnError>(())
//! ```

#![deny(missing_docs)]

mod activation;
mod checkpoint;
mod config;
mod conv;
mod dense;
mod error;
mod exec;
pub mod gemm;
mod init;
pub mod lanes;
mod loss;
mod mlp;
mod model;
mod optim;
mod pass;
mod patches;
mod plan;
mod schedule;
mod view;
mod workspace;

pub use activation::{Activation, fast_exp};
pub use checkpoint::{Checkpoint, FORMAT_VERSION, OptimizerCheckpoint};
pub use config::{Architecture, LayerConfig, MlpConfig, Padding, ResNetConfig, SequentialConfig};
pub use error::{NnError, Result};
pub use init::Init;
pub use loss::{Loss, mse, nmse};
pub use mlp::{Derivatives, JacobianBlock, Mlp, MlpForward, MlpWorkspace, hessian_index};
pub use model::Model;
pub use optim::{OptState, Optimizer};
pub use schedule::LrSchedule;
pub use view::{ParamKind, ParamView};
pub use workspace::{DEFAULT_CHUNKS, Workspace};
