//! [`Model`]: an architecture compiled for flat parameter buffers.

use core::marker::PhantomData;

use faer::Accum;
use prdp_core::Real;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::config::Architecture;
use crate::error::{NnError, Result, check_len};
use crate::exec::{Acts, GradScratch};
use crate::pass::ParamGrad;
use crate::plan::{Buf, Plan};
use crate::view::ParamView;
use crate::workspace::{Chunk, DEFAULT_CHUNKS, Workspace};

/// Parameter gradients are summed across chunks in blocks of this many entries.
const REDUCE_BLOCK: usize = 1 << 14;

/// A network: an [`Architecture`] compiled into a tape of layers over a flat parameter buffer.
///
/// The model holds no parameters. They live in one contiguous `&[T]` of length
/// [`num_params`](Self::num_params), laid out tensor after tensor as listed by
/// [`views`](Self::views), so optimisers, checkpoints, gradient norms and Neural IVP's parameter
/// ODE treat every model alike.
///
/// Data is batch-major and row-major: dense models take `[batch, features]`, convolutional ones
/// `[batch, channels, grid…]` with the last grid axis contiguous (one PDE state of N points is
/// one channel of N values).
///
/// # Example
/// ```
/// use prdp_nn::{Architecture, MlpConfig, Model};
///
/// let model = Model::<f64>::new(Architecture::Mlp(MlpConfig {
///     in_features: 2, out_features: 1, width: 8, depth: 2, ..Default::default()
/// }))?;
/// let params = model.init(0);
/// let mut ws = model.workspace(4)?;
/// let x = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];
/// let y = model.forward(&params, &x, 4, &mut ws)?.to_vec();
/// assert_eq!(y.len(), 4);
///
/// // Gradient of Σ y with respect to the parameters and the input.
/// let mut grad = vec![0.0; model.num_params()];
/// let mut x_bar = vec![0.0; 8];
/// model.backward(&params, &mut ws, &[1.0; 4], Some(&mut x_bar), &mut grad)?;
/// # Ok::<(), prdp_nn::NnError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Model<T> {
    arch: Architecture,
    pub(crate) plan: Plan,
    _scalar: PhantomData<fn() -> T>,
}

impl<T: Real> Model<T> {
    /// Validates `arch` and compiles it.
    ///
    /// # Errors
    /// [`NnError::Config`] naming the offending field: zero sizes, a kernel larger than
    /// the grid, a dense layer on a grid or a convolution on features, a residual body that
    /// changes the shape, an empty network.
    pub fn new(arch: Architecture) -> Result<Self> {
        let plan = Plan::new(&arch)?;
        Ok(Self {
            arch,
            plan,
            _scalar: PhantomData,
        })
    }

    /// The architecture this model was built from.
    pub fn architecture(&self) -> &Architecture {
        &self.arch
    }

    /// Length of the flat parameter buffer.
    pub fn num_params(&self) -> usize {
        self.plan.num_params
    }

    /// Every tensor of the model, in buffer order.
    pub fn views(&self) -> &[ParamView] {
        &self.plan.views
    }

    /// The tensor called `name`, if any.
    pub fn view(&self, name: &str) -> Option<&ParamView> {
        self.plan.views.iter().find(|v| v.name == name)
    }

    /// The entries of tensor `name` in `params`, if the tensor exists and `params` is long enough.
    pub fn param<'p>(&self, params: &'p [T], name: &str) -> Option<&'p [T]> {
        self.view(name).and_then(|v| params.get(v.range()))
    }

    /// Shape of one input sample.
    pub fn input_shape(&self) -> &[usize] {
        &self.plan.input_shape
    }

    /// Shape of one output sample.
    pub fn output_shape(&self) -> &[usize] {
        &self.plan.output_shape
    }

    /// Entries of one input sample.
    pub fn input_size(&self) -> usize {
        self.plan.size(Buf::Input)
    }

    /// Entries of one output sample.
    pub fn output_size(&self) -> usize {
        self.plan.size(Buf::Output)
    }

    /// Whether the model splits large batches across threads (otherwise it runs whole batches
    /// through multi-threaded matrix products: models with huge dense layers).
    pub fn splits_batch(&self) -> bool {
        self.plan.batch_parallel
    }

    /// Fresh parameters drawn with the architecture's [`Init`](crate::Init) from a ChaCha8
    /// stream seeded with `seed`: the same seed gives the same parameters, bit for bit.
    pub fn init(&self, seed: u64) -> Vec<T> {
        let mut params = vec![T::zero(); self.num_params()];
        self.init_from(&mut ChaCha8Rng::seed_from_u64(seed), &mut params);
        params
    }

    /// Writes fresh parameters into `params`, drawn with the architecture's
    /// [`Init`](crate::Init) from `rng`: several models can draw from one stream, in order.
    ///
    /// # Panics
    /// If `params` does not have [`num_params`](Self::num_params) entries.
    pub fn init_from(&self, rng: &mut ChaCha8Rng, params: &mut [T]) {
        assert_eq!(
            params.len(),
            self.num_params(),
            "init_from: parameter length"
        );
        for view in &self.plan.views {
            self.plan.init.fill(view, rng, params);
        }
    }

    /// A workspace for batches of up to `capacity` samples, split into [`DEFAULT_CHUNKS`]
    /// parallel chunks when the model splits batches and the batch is worth splitting.
    ///
    /// # Errors
    /// [`NnError::Config`] if `capacity` is zero.
    pub fn workspace(&self, capacity: usize) -> Result<Workspace<T>> {
        Workspace::new(&self.plan, capacity, DEFAULT_CHUNKS)
    }

    /// A workspace for batches of up to `capacity` samples split into at most `chunks` parallel
    /// chunks (ignored by models that do not split batches, and by models whose forward pass
    /// over `capacity` samples is too small to be worth a second thread).
    ///
    /// # Errors
    /// [`NnError::Config`] if `capacity` or `chunks` is zero.
    pub fn workspace_with_chunks(&self, capacity: usize, chunks: usize) -> Result<Workspace<T>> {
        Workspace::new(&self.plan, capacity, chunks)
    }

    /// Multiply–adds × 2 of one sample's forward pass (dense products and convolutions only).
    pub fn forward_flops(&self) -> u64 {
        2 * self.plan.macs as u64
    }

    /// Multiply–adds × 2 of one sample's backward pass: the weight gradients, plus the input
    /// gradients of every layer but one reading the network input unless `input_grad`.
    pub fn backward_flops(&self, input_grad: bool) -> u64 {
        self.plan
            .products()
            .map(|(src, m)| if src == Buf::Input && !input_grad { 2 * m } else { 4 * m } as u64)
            .sum()
    }

    /// Runs the network on `batch` samples `input` (`[batch, input…]`) and returns the outputs
    /// (`[batch, output…]`), keeping the activations in `ws` for [`backward`](Self::backward).
    ///
    /// # Errors
    /// [`NnError::Length`] if `params` or `input` has the wrong length, [`NnError::Batch`] if
    /// `batch` is zero or exceeds the workspace capacity, [`NnError::WorkspaceMismatch`] if `ws`
    /// was made by a different model.
    pub fn forward<'w>(
        &self,
        params: &[T],
        input: &[T],
        batch: usize,
        ws: &'w mut Workspace<T>,
    ) -> Result<&'w [T]> {
        ws.check(&self.plan)?;
        check_len("params", self.num_params(), params.len())?;
        if batch == 0 || batch > ws.capacity {
            return Err(NnError::Batch {
                batch,
                capacity: ws.capacity,
            });
        }
        let (nin, nout) = (self.input_size(), self.output_size());
        check_len("input", batch * nin, input.len())?;
        ws.input[..input.len()].copy_from_slice(input);
        ws.batch = batch;
        let plan = &self.plan;
        let rpc = ws.rows_per_chunk;
        let threads = ws.threads(batch);
        let run = |c: &mut Chunk<T>, x: &[T], y: &mut [T]| {
            let mut acts = Acts {
                plan,
                rows: x.len() / nin,
                input: x,
                output: y,
                hidden: &mut c.hidden,
            };
            acts.forward(params, &mut c.cols, threads);
        };
        let x = &ws.input[..batch * nin];
        let y = &mut ws.output[..batch * nout];
        if batch <= rpc {
            run(&mut ws.chunks[0], x, y);
        } else {
            ws.chunks
                .par_iter_mut()
                .zip(x.par_chunks(rpc * nin))
                .zip(y.par_chunks_mut(rpc * nout))
                .for_each(|((c, x), y)| run(c, x, y));
        }
        Ok(&ws.output[..batch * nout])
    }

    /// Backpropagates the output cotangent `out_bar` (`[batch, output…]`) through the last
    /// forward pass in `ws`: ADDS the parameter gradient to `param_grad` and, if `in_bar` is
    /// given, WRITES the input gradient (`[batch, input…]`) there. `params` must be the
    /// parameters of that forward pass. The activations in `ws` are left intact, so `backward`
    /// may be called again with another cotangent.
    ///
    /// # Errors
    /// [`NnError::NoForward`] if `ws` holds no forward pass; [`NnError::Length`] for a slice of
    /// the wrong length; [`NnError::WorkspaceMismatch`] if `ws` was made by a different model.
    pub fn backward(
        &self,
        params: &[T],
        ws: &mut Workspace<T>,
        out_bar: &[T],
        in_bar: Option<&mut [T]>,
        param_grad: &mut [T],
    ) -> Result<()> {
        self.backward_impl(params, ws, out_bar, in_bar, param_grad, Accum::Add)
    }

    /// As [`backward`](Self::backward), but OVERWRITES `param_grad` with the parameter gradient,
    /// saving the caller a zeroing pass (which matters for models of tens of millions of
    /// parameters).
    ///
    /// # Errors
    /// As [`backward`](Self::backward).
    pub fn backward_replace(
        &self,
        params: &[T],
        ws: &mut Workspace<T>,
        out_bar: &[T],
        in_bar: Option<&mut [T]>,
        param_grad: &mut [T],
    ) -> Result<()> {
        self.backward_impl(params, ws, out_bar, in_bar, param_grad, Accum::Replace)
    }

    /// Forward-mode derivative of the last forward pass in `ws`: writes
    /// `out_dot = ∂f/∂θ · param_dot + ∂f/∂x · in_dot` (`[batch, output…]`), with `in_dot` zero
    /// if `None`; `params` must be the parameters of that forward pass. Together with
    /// [`backward`](Self::backward) this gives matrix-free products with
    /// the parameter Jacobian J and its transpose (e.g. Gauss–Newton JᵀJ v). The activations in
    /// `ws` are left intact.
    ///
    /// # Errors
    /// [`NnError::NoForward`] if `ws` holds no forward pass; [`NnError::Length`] for a slice of
    /// the wrong length; [`NnError::WorkspaceMismatch`] if `ws` was made by a different model.
    pub fn jvp(
        &self,
        params: &[T],
        ws: &mut Workspace<T>,
        param_dot: &[T],
        in_dot: Option<&[T]>,
        out_dot: &mut [T],
    ) -> Result<()> {
        ws.check(&self.plan)?;
        let batch = ws.batch;
        if batch == 0 {
            return Err(NnError::NoForward);
        }
        let (nin, nout) = (self.input_size(), self.output_size());
        check_len("params", self.num_params(), params.len())?;
        check_len("param_dot", self.num_params(), param_dot.len())?;
        check_len("out_dot", batch * nout, out_dot.len())?;
        if let Some(t) = in_dot {
            check_len("in_dot", batch * nin, t.len())?;
        }
        let plan = &self.plan;
        let rpc = ws.rows_per_chunk;
        let threads = ws.threads(batch);
        let run =
            |c: &mut Chunk<T>, x: &[T], y: &mut [T], in_dot: Option<&[T]>, out_dot: &mut [T]| {
                let Chunk {
                    hidden,
                    grads,
                    skips,
                    cols,
                    ..
                } = c;
                let mut acts = Acts {
                    plan,
                    rows: x.len() / nin,
                    input: x,
                    output: y,
                    hidden,
                };
                let scratch = GradScratch { grads, skips, cols };
                acts.jvp(params, param_dot, in_dot, out_dot, scratch, threads);
            };
        let x = &ws.input[..batch * nin];
        let y = &mut ws.output[..batch * nout];
        if batch <= rpc {
            run(&mut ws.chunks[0], x, y, in_dot, out_dot);
            return Ok(());
        }
        let chunks = ws
            .chunks
            .par_iter_mut()
            .zip(x.par_chunks(rpc * nin))
            .zip(y.par_chunks_mut(rpc * nout))
            .zip(out_dot.par_chunks_mut(rpc * nout));
        match in_dot {
            Some(t) => chunks
                .zip(t.par_chunks(rpc * nin))
                .for_each(|((((c, x), y), o), t)| run(c, x, y, Some(t), o)),
            None => chunks.for_each(|(((c, x), y), o)| run(c, x, y, None, o)),
        }
        Ok(())
    }

    fn backward_impl(
        &self,
        params: &[T],
        ws: &mut Workspace<T>,
        out_bar: &[T],
        in_bar: Option<&mut [T]>,
        param_grad: &mut [T],
        beta: Accum,
    ) -> Result<()> {
        ws.check(&self.plan)?;
        let batch = ws.batch;
        if batch == 0 {
            return Err(NnError::NoForward);
        }
        let (nin, nout) = (self.input_size(), self.output_size());
        check_len("params", self.num_params(), params.len())?;
        check_len("param_grad", self.num_params(), param_grad.len())?;
        check_len("out_bar", batch * nout, out_bar.len())?;
        if let Some(b) = &in_bar {
            check_len("in_bar", batch * nin, b.len())?;
        }
        let plan = &self.plan;
        let rpc = ws.rows_per_chunk;
        let threads = ws.threads(batch);
        let run = |c: &mut Chunk<T>,
                   x: &[T],
                   y: &mut [T],
                   out_bar: &[T],
                   in_bar: Option<&mut [T]>,
                   grad: Option<&mut [T]>,
                   beta: Accum| {
            let Chunk {
                hidden,
                grads,
                skips,
                cols,
                pgrad,
            } = c;
            let mut acts = Acts {
                plan,
                rows: x.len() / nin,
                input: x,
                output: y,
                hidden,
            };
            let scratch = GradScratch { grads, skips, cols };
            let grad = grad.unwrap_or(pgrad);
            acts.backward(
                params,
                out_bar,
                in_bar,
                ParamGrad { grad, beta },
                scratch,
                threads,
            );
        };
        let x = &ws.input[..batch * nin];
        let y = &mut ws.output[..batch * nout];
        if batch <= rpc {
            run(
                &mut ws.chunks[0],
                x,
                y,
                out_bar,
                in_bar,
                Some(param_grad),
                beta,
            );
            return Ok(());
        }
        let used = batch.div_ceil(rpc);
        let (first, rest) = ws.chunks[..used]
            .split_first_mut()
            .expect("at least one chunk");
        let (x0, xr) = x.split_at(rpc * nin);
        let (y0, yr) = y.split_at_mut(rpc * nout);
        let (o0, or) = out_bar.split_at(rpc * nout);
        let rest_iter = rest
            .par_iter_mut()
            .zip(xr.par_chunks(rpc * nin))
            .zip(yr.par_chunks_mut(rpc * nout))
            .zip(or.par_chunks(rpc * nout));
        match in_bar {
            Some(in_bar) => {
                let (i0, ir) = in_bar.split_at_mut(rpc * nin);
                rayon::join(
                    || run(first, x0, y0, o0, Some(i0), Some(&mut *param_grad), beta),
                    || {
                        rest_iter.zip(ir.par_chunks_mut(rpc * nin)).for_each(
                            |((((c, x), y), o), i)| run(c, x, y, o, Some(i), None, Accum::Replace),
                        );
                    },
                );
            }
            None => {
                rayon::join(
                    || run(first, x0, y0, o0, None, Some(&mut *param_grad), beta),
                    || {
                        rest_iter.for_each(|(((c, x), y), o)| {
                            run(c, x, y, o, None, None, Accum::Replace)
                        });
                    },
                );
            }
        }
        let rest = &ws.chunks[1..used];
        param_grad
            .par_chunks_mut(REDUCE_BLOCK)
            .enumerate()
            .for_each(|(i, g)| {
                let range = i * REDUCE_BLOCK..i * REDUCE_BLOCK + g.len();
                for c in rest {
                    for (gi, &pi) in g.iter_mut().zip(&c.pgrad[range.clone()]) {
                        *gi += pi;
                    }
                }
            });
        Ok(())
    }
}
