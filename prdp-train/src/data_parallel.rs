//! Data parallelism whose results do not depend on the number of ranks.
//!
//! A minibatch is cut into a fixed number of contiguous blocks (`gradient_blocks`); rank r of P
//! owns blocks ⌊rG/P⌋..⌊(r+1)G/P⌋ and computes each one's gradient of (1/B)·Σ loss; the block
//! gradients are then summed in block order along the ranks ([`Ranks::chain`]). The floating-
//! point operations are therefore the same for every P ≤ G, and with one block they are those
//! of the plain single-process step. Validation samples are split into blocks the same way and
//! their per-sample errors gathered before the means are taken.

use std::ops::Range;

use prdp_core::Real;
use prdp_solvers::Counters;

use crate::comm::Ranks;
use crate::{Ledger, TrainError};

/// The gradient travels along the ranks in pieces of this many bytes (pipelined: see
/// [`Ranks::chain_chunks`]).
const PIECE_BYTES: usize = 1 << 20;

/// Samples of block `j` when `len` samples are cut into `blocks` blocks.
fn block(len: usize, blocks: usize, j: usize) -> Range<usize> {
    j * len / blocks..(j + 1) * len / blocks
}

/// The blocks of `blocks` that rank `rank` of `size` owns.
fn owned(blocks: usize, rank: usize, size: usize) -> Range<usize> {
    rank * blocks / size..(rank + 1) * blocks / size
}

/// The ranks of a data-parallel scenario, its block count and the buffers of its own blocks.
pub(crate) struct Parallel<T> {
    ranks: Ranks,
    blocks: usize,
    partials: Vec<Vec<T>>,
    losses: Vec<f64>,
}

/// One process, one block: the plain step.
impl<T> Default for Parallel<T> {
    fn default() -> Self {
        Self {
            ranks: Ranks::default(),
            blocks: 1,
            partials: Vec::new(),
            losses: Vec::new(),
        }
    }
}

impl<T: Real> Parallel<T> {
    /// Data parallelism over `ranks` with `blocks` blocks per minibatch of `batch` samples and
    /// per validation set of `validation` samples, for `params` parameters.
    ///
    /// # Errors
    /// [`TrainError::Config`] (`gradient_blocks`) unless 1 ≤ ranks ≤ blocks ≤ both sample counts.
    pub fn new(
        ranks: Ranks,
        blocks: usize,
        batch: usize,
        validation: usize,
        params: usize,
    ) -> Result<Self, TrainError> {
        if blocks == 1 && ranks.size() == 1 {
            return Ok(Self::default());
        }
        let most = batch.min(validation);
        if blocks == 0 || blocks < ranks.size() || blocks > most {
            return Err(TrainError::config(
                "gradient_blocks",
                blocks,
                &format!(
                    "at least the {} ranks and at most {most}, the minibatch and validation sizes",
                    ranks.size()
                ),
            ));
        }
        let own = owned(blocks, ranks.rank(), ranks.size()).len();
        let stored = if ranks.is_root() { own - 1 } else { own };
        Ok(Self {
            partials: (0..stored).map(|_| vec![T::zero(); params]).collect(),
            losses: vec![0.0; own],
            ranks,
            blocks,
        })
    }

    /// The largest block of `len` samples (at least 1): the capacity a network workspace
    /// needs, and with it the batch the workspace splits over its threads.
    pub fn block_capacity(&self, len: usize) -> usize {
        len.div_ceil(self.blocks).max(1)
    }

    /// Leaves in `grad`, on every rank, the gradient of the minibatch `batch` and returns its
    /// loss. `block_fn(samples, scale, grad, ledger)` must write to its `grad` the gradient of
    /// `scale` × the mean loss over `samples` (scale = their share of the minibatch) and return
    /// that scaled loss. Solver counters are summed over the ranks into `ledger`; wall times
    /// stay each rank's own.
    ///
    /// # Errors
    /// The first failing block's error; on the other ranks [`TrainError::Rank`] naming it.
    pub fn gradient(
        &mut self,
        batch: &[usize],
        grad: &mut [T],
        ledger: &mut Ledger,
        mut block_fn: impl FnMut(&[usize], f64, &mut [T], &mut Ledger) -> Result<f64, TrainError>,
    ) -> Result<f64, TrainError> {
        let (rank, size, g) = (self.ranks.rank(), self.ranks.size(), self.blocks);
        if size == 1 && g == 1 {
            return block_fn(batch, 1.0, grad, ledger);
        }
        let own = owned(g, rank, size);
        let first = usize::from(rank == 0);
        let before = ledger.solver;
        let outcome = own.clone().enumerate().try_for_each(|(i, j)| {
            let samples = &batch[block(batch.len(), g, j)];
            let scale = samples.len() as f64 / batch.len() as f64;
            let dst = if i < first {
                &mut *grad
            } else {
                &mut self.partials[i - first][..]
            };
            self.losses[i] = block_fn(samples, scale, dst, ledger)?;
            Ok(())
        });
        self.ranks.agree(outcome)?;
        sum_counters(&self.ranks, before, &mut ledger.solver);
        let (partials, losses) = (&self.partials, &self.losses);
        self.ranks
            .chain_chunks(grad, PIECE_BYTES / size_of::<T>(), |at, acc| {
                for part in partials {
                    for (a, &p) in acc.iter_mut().zip(&part[at..]) {
                        *a += p;
                    }
                }
            });
        let mut loss = [if rank == 0 { losses[0] } else { 0.0 }];
        self.ranks.chain(&mut loss, |l| {
            for &x in &losses[first..] {
                l[0] += x;
            }
        });
        Ok(loss[0])
    }

    /// Per-sample values of `samples` validation samples, `per` values each (sample-major), on
    /// every rank: `compute(range, out)` fills the values of the samples `range` (one of this
    /// rank's blocks) into `out` (`range.len() · per` values).
    ///
    /// # Errors
    /// The first failing block's error; on the other ranks [`TrainError::Rank`] naming it.
    pub fn per_sample(
        &self,
        samples: usize,
        per: usize,
        mut compute: impl FnMut(Range<usize>, &mut [f64]) -> Result<(), TrainError>,
    ) -> Result<Vec<f64>, TrainError> {
        let (rank, size, g) = (self.ranks.rank(), self.ranks.size(), self.blocks);
        let mut mine = vec![0.0; samples * per];
        let own = owned(g, rank, size);
        let range = block(samples, g, own.start).start..block(samples, g, own.end - 1).end;
        let outcome = own.clone().try_for_each(|j| {
            let s = block(samples, g, j);
            compute(s.clone(), &mut mine[s.start * per..s.end * per])
        });
        self.ranks.agree(outcome)?;
        if size == 1 {
            return Ok(mine);
        }
        let mut all = vec![0.0; samples * per];
        self.ranks.chain(&mut all, |acc| {
            let own = range.start * per..range.end * per;
            acc[own.clone()].copy_from_slice(&mine[own]);
        });
        Ok(all)
    }
}

/// A scenario whose minibatch gradient is computed block by block.
pub(crate) trait BlockGradient<T: Real> {
    /// The flat parameter gradient and the data parallelism, lent out for one step.
    fn gradient_parts(&mut self) -> (&mut Vec<T>, &mut Parallel<T>);

    /// Writes to `grad` the gradient of `scale` × the mean loss over `samples` and returns
    /// that scaled loss (see [`Parallel::gradient`]).
    fn block_loss_and_gradient(
        &mut self,
        samples: &[usize],
        scale: f64,
        grad: &mut [T],
        ledger: &mut Ledger,
    ) -> Result<f64, TrainError>;
}

/// The loss of the minibatch `batch`, with its gradient left in the scenario's gradient on
/// every rank.
pub(crate) fn minibatch_gradient<T: Real, S: BlockGradient<T>>(
    sc: &mut S,
    batch: &[usize],
    ledger: &mut Ledger,
) -> Result<f64, TrainError> {
    let (grad, par) = sc.gradient_parts();
    let (mut grad, mut par) = (std::mem::take(grad), std::mem::take(par));
    let loss = par.gradient(batch, &mut grad, ledger, |samples, scale, g, ledger| {
        sc.block_loss_and_gradient(samples, scale, g, ledger)
    });
    let (g, p) = sc.gradient_parts();
    (*g, *p) = (grad, par);
    loss
}

/// Replaces the counters' growth since `before` on this rank by its sum over the ranks.
fn sum_counters(ranks: &Ranks, before: Counters, now: &mut Counters) {
    if ranks.size() == 1 {
        return;
    }
    let mut d = [
        now.primal_iters - before.primal_iters,
        now.adjoint_iters - before.adjoint_iters,
        now.matvecs - before.matvecs,
        now.primal_solves - before.primal_solves,
        now.adjoint_solves - before.adjoint_solves,
    ];
    ranks.sum_counts(&mut d, &mut [0.0; 5]);
    *now = before;
    now.primal_iters += d[0];
    now.adjoint_iters += d[1];
    now.matvecs += d[2];
    now.primal_solves += d[3];
    now.adjoint_solves += d[4];
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blocks tile the samples and ranks tile the blocks, each rank owning at least one.
    #[test]
    fn blocks_and_owners_tile() {
        for len in 1..30 {
            for g in 1..=len.min(8) {
                let ends: Vec<_> = (0..g).map(|j| block(len, g, j)).collect();
                assert_eq!(ends[0].start, 0);
                assert_eq!(ends[g - 1].end, len);
                assert!(ends.windows(2).all(|w| w[0].end == w[1].start));
                assert!(ends.iter().all(|r| !r.is_empty()));
                for p in 1..=g {
                    let own: Vec<_> = (0..p).map(|r| owned(g, r, p)).collect();
                    assert_eq!(own[p - 1].end, g);
                    assert!(own.iter().all(|r| !r.is_empty()));
                }
            }
        }
    }
}
