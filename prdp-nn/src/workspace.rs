//! Reusable buffers for the forward and backward passes of a [`Model`](crate::Model).

use prdp_core::Real;

use crate::error::{NnError, Result, invalid};
use crate::plan::{PARALLEL_MIN_MACS, Plan};

/// Number of batch chunks processed in parallel by default, for models that split the batch
/// across threads. A constant (not the thread count) so that results are identical whatever the
/// number of threads.
pub const DEFAULT_CHUNKS: usize = 2;

/// The buffers of one chunk of the batch.
#[derive(Debug, Clone)]
pub(crate) struct Chunk<T> {
    pub hidden: Vec<Vec<T>>,
    pub grads: [Vec<T>; 2],
    pub skips: Vec<Vec<T>>,
    pub cols: Vec<T>,
    /// This chunk's parameter gradient (empty for chunk 0, which writes the caller's buffer).
    pub pgrad: Vec<T>,
}

/// Activations of one forward pass, kept for the backward pass, plus every scratch buffer either
/// pass needs: allocated once for a batch capacity, then reused without allocation.
///
/// A workspace belongs to the model that made it ([`Model::workspace`](crate::Model::workspace));
/// use one workspace per concurrent forward pass (e.g. two for two network calls in one
/// backpropagation-through-time step).
///
/// For models that split the batch across threads (every model without huge dense layers) and
/// whose batches are large enough to be worth it, the batch is cut into contiguous chunks; each
/// chunk runs the whole network on one thread. Otherwise large matrix products are split across
/// threads by output blocks. Results depend on the capacity and the chunk count, never on the
/// number of threads.
#[derive(Debug, Clone)]
pub struct Workspace<T> {
    pub(crate) capacity: usize,
    pub(crate) rows_per_chunk: usize,
    pub(crate) batch: usize,
    pub(crate) input: Vec<T>,
    pub(crate) output: Vec<T>,
    pub(crate) chunks: Vec<Chunk<T>>,
    heavy: bool,
    layout: Vec<usize>,
}

impl<T: Real> Workspace<T> {
    /// Buffers for batches of up to `capacity` samples cut into at most `chunks` chunks.
    pub(crate) fn new(plan: &Plan, capacity: usize, chunks: usize) -> Result<Self> {
        if capacity == 0 {
            return Err(invalid("workspace capacity", 0, "at least 1"));
        }
        if chunks == 0 {
            return Err(invalid("workspace chunks", 0, "at least 1"));
        }
        let heavy = capacity * plan.macs >= PARALLEL_MIN_MACS;
        let chunks = if plan.batch_parallel && heavy {
            chunks.min(capacity)
        } else {
            1
        };
        let rows_per_chunk = capacity.div_ceil(chunks);
        let chunks = capacity.div_ceil(rows_per_chunk);
        let rows = rows_per_chunk;
        let make = |index: usize| Chunk {
            hidden: plan
                .hidden
                .iter()
                .map(|&n| vec![T::zero(); rows * n])
                .collect(),
            grads: [
                vec![T::zero(); rows * plan.widest],
                vec![T::zero(); rows * plan.widest],
            ],
            skips: (0..plan.depth)
                .map(|_| vec![T::zero(); rows * plan.widest])
                .collect(),
            cols: vec![T::zero(); plan.cols.max(rows * plan.scratch_per_row)],
            pgrad: if index == 0 {
                Vec::new()
            } else {
                vec![T::zero(); plan.num_params]
            },
        };
        Ok(Self {
            capacity,
            rows_per_chunk,
            batch: 0,
            input: vec![T::zero(); capacity * plan.size(crate::plan::Buf::Input)],
            output: vec![T::zero(); capacity * plan.size(crate::plan::Buf::Output)],
            chunks: (0..chunks).map(make).collect(),
            heavy,
            layout: layout(plan).collect(),
        })
    }

    /// Checks that this workspace was made for `plan`.
    pub(crate) fn check(&self, plan: &Plan) -> Result<()> {
        if self.layout.iter().copied().eq(layout(plan)) {
            Ok(())
        } else {
            Err(NnError::WorkspaceMismatch {
                detail: format!(
                    "buffer layout {:?}, model needs {:?}",
                    self.layout,
                    layout(plan).collect::<Vec<_>>()
                ),
            })
        }
    }

    /// Threads each chunk's matrix products may use for a batch of `batch`: all of rayon's when
    /// the batch is not split but worth parallelising, else one.
    pub(crate) fn threads(&self, batch: usize) -> usize {
        if self.heavy && batch <= self.rows_per_chunk {
            rayon::current_num_threads()
        } else {
            1
        }
    }

    /// The largest batch this workspace holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Number of chunks the batch is split into for parallel processing.
    pub fn chunks(&self) -> usize {
        self.chunks.len()
    }

    /// Batch size of the last forward pass (0 before the first).
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// Output of the last forward pass, `[batch, output…]` (empty before the first).
    pub fn output(&self) -> &[T] {
        let per = self.output.len() / self.capacity;
        &self.output[..self.batch * per]
    }
}

/// The sizes that identify a plan's buffers.
fn layout(plan: &Plan) -> impl Iterator<Item = usize> + '_ {
    [
        plan.size(crate::plan::Buf::Input),
        plan.size(crate::plan::Buf::Output),
        plan.num_params,
        plan.cols,
        plan.scratch_per_row,
        plan.widest,
        plan.depth,
    ]
    .into_iter()
    .chain(plan.hidden.iter().copied())
}
