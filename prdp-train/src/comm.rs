//! The processes a run is spread over ("ranks"), as training needs them: point-to-point messages
//! and a broadcast ([`Communicator`]; MPI's behind the `mpi` feature, threads of one process in
//! [`ThreadedRanks`]), and the ordered collectives built on them ([`Ranks`]) that make results
//! independent of the number of ranks.

use std::fmt;
use std::rc::Rc;

use prdp_core::{Real, ValuesMut};

use crate::TrainError;

/// Values a message carries.
#[derive(Debug)]
pub enum Data<'a> {
    /// Single precision.
    F32(&'a [f32]),
    /// Double precision.
    F64(&'a [f64]),
    /// Bytes (text).
    Bytes(&'a [u8]),
}

/// A buffer a message is received into; its length must equal the message's.
#[derive(Debug)]
pub enum DataMut<'a> {
    /// Single precision.
    F32(&'a mut [f32]),
    /// Double precision.
    F64(&'a mut [f64]),
    /// Bytes (text).
    Bytes(&'a mut [u8]),
}

impl<'a> From<ValuesMut<'a>> for DataMut<'a> {
    fn from(v: ValuesMut<'a>) -> Self {
        match v {
            ValuesMut::F32(s) => Self::F32(s),
            ValuesMut::F64(s) => Self::F64(s),
        }
    }
}

impl DataMut<'_> {
    /// The same buffer, read-only.
    pub fn as_data(&self) -> Data<'_> {
        match self {
            Self::F32(s) => Data::F32(s),
            Self::F64(s) => Data::F64(s),
            Self::Bytes(s) => Data::Bytes(s),
        }
    }
}

/// Ranks `0..size` that exchange messages: the part of MPI data-parallel training needs.
///
/// Messages from one rank to another arrive in the order they were sent; a receive blocks until
/// its message arrives and is given a buffer of exactly the message's length and type. Every
/// rank calls [`Communicator::broadcast`] with the same root and a buffer of the same length.
pub trait Communicator {
    /// This process's rank.
    fn rank(&self) -> usize;
    /// The number of ranks.
    fn size(&self) -> usize;
    /// Sends `data` to rank `to`.
    fn send(&self, to: usize, data: Data<'_>);
    /// Receives the next message from rank `from` into `data`.
    fn receive(&self, from: usize, data: DataMut<'_>);
    /// Copies the root's `data` into every other rank's `data`.
    fn broadcast(&self, root: usize, data: DataMut<'_>);
}

/// One process alone: rank 0 of 1.
struct SingleProcess;

impl Communicator for SingleProcess {
    fn rank(&self) -> usize {
        0
    }

    fn size(&self) -> usize {
        1
    }

    fn send(&self, to: usize, _: Data<'_>) {
        panic!("a single process has no rank {to} to send to");
    }

    fn receive(&self, from: usize, _: DataMut<'_>) {
        panic!("a single process has no rank {from} to receive from");
    }

    fn broadcast(&self, _: usize, _: DataMut<'_>) {}
}

/// The ranks of a run (a cheap handle; the default is one process), with the collectives the
/// trainer uses. Each collective is an ordered pass from rank 0 to the last rank followed by a
/// broadcast, so its result is the same sequence of floating-point operations for any number
/// of ranks, and every rank ends with the same bits.
#[derive(Clone, Default)]
pub struct Ranks(Option<Rc<dyn Communicator>>);

impl fmt::Debug for Ranks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ranks({} of {})", self.rank(), self.size())
    }
}

impl Ranks {
    /// Ranks that communicate through `comm`.
    pub fn new(comm: impl Communicator + 'static) -> Self {
        Self(Some(Rc::new(comm)))
    }

    fn comm(&self) -> &dyn Communicator {
        self.0.as_deref().unwrap_or(&SingleProcess)
    }

    /// This process's rank.
    pub fn rank(&self) -> usize {
        self.comm().rank()
    }

    /// The number of ranks.
    pub fn size(&self) -> usize {
        self.comm().size()
    }

    /// Whether this is rank 0, the one that writes files and prints.
    pub fn is_root(&self) -> bool {
        self.rank() == 0
    }

    /// The ordered pass: rank r receives `data` from rank r − 1 (rank 0 starts from its own
    /// `data`), applies `own` to it and passes it to rank r + 1; the last rank's result is then
    /// broadcast, so every rank ends with it.
    pub(crate) fn chain<T: Real>(&self, data: &mut [T], mut own: impl FnMut(&mut [T])) {
        let len = data.len();
        self.chain_chunks(data, len, |_, d| own(d));
    }

    /// [`Ranks::chain`] in pieces of at most `chunk` values (`own` gets each piece with its
    /// offset into `data`), so that rank r + 1 works on one piece while rank r works on the
    /// next: the pass then takes about one transfer of `data` plus P − 1 of a piece, instead of
    /// P − 1 transfers of `data`.
    pub(crate) fn chain_chunks<T: Real>(
        &self,
        data: &mut [T],
        chunk: usize,
        mut own: impl FnMut(usize, &mut [T]),
    ) {
        let (r, p) = (self.rank(), self.size());
        let chunk = chunk.max(1);
        let mut start = 0;
        while start < data.len() || start == 0 {
            let end = (start + chunk).min(data.len());
            let piece = &mut data[start..end];
            if r > 0 {
                self.comm().receive(r - 1, T::values_mut(piece).into());
            }
            own(start, piece);
            if r + 1 < p {
                self.comm()
                    .send(r + 1, DataMut::from(T::values_mut(piece)).as_data());
            }
            if end == data.len() {
                break;
            }
            start = end;
        }
        if p > 1 {
            self.comm().broadcast(p - 1, T::values_mut(data).into());
        }
    }

    /// Sums `counts` over the ranks (exactly: integer sums below 2⁵³ pass through f64
    /// unchanged). `scratch` must hold as many values as `counts`.
    pub(crate) fn sum_counts(&self, counts: &mut [u64], scratch: &mut [f64]) {
        if self.size() == 1 {
            return;
        }
        let mine: &[u64] = counts;
        self.chain(scratch, |acc| {
            for (a, &c) in acc.iter_mut().zip(mine) {
                *a = if self.rank() == 0 { 0.0 } else { *a } + c as f64;
            }
        });
        for (c, &s) in counts.iter_mut().zip(scratch.iter()) {
            *c = s as u64;
        }
    }

    /// Every rank calls this with the outcome of its part of a collective step. All ranks get
    /// `Ok` if every rank succeeded; otherwise each gets an error: the lowest failing rank its
    /// own, every other rank [`TrainError::Rank`] with that rank's message, so that all ranks
    /// leave the step together and none waits for a message that will not come.
    pub fn agree<V>(&self, outcome: Result<V, TrainError>) -> Result<V, TrainError> {
        let p = self.size();
        if p == 1 {
            return outcome;
        }
        let me = self.rank();
        let code = match &outcome {
            Ok(_) => 0.0,
            Err(e) if e.is_divergence() => 2.0,
            Err(_) => 1.0,
        };
        let mut status = vec![0.0f64; p];
        self.chain(&mut status, |s| s[me] = code);
        let Some(failed) = status.iter().position(|&s| s != 0.0) else {
            return outcome;
        };
        let mut text = match &outcome {
            Err(e) if me == failed => e.to_string().into_bytes(),
            _ => Vec::new(),
        };
        self.broadcast_bytes_from(failed, &mut text);
        match outcome {
            Err(e) if me == failed => Err(e),
            _ => Err(TrainError::Rank {
                rank: failed,
                message: String::from_utf8_lossy(&text).into_owned(),
                diverged: status[failed] == 2.0,
            }),
        }
    }

    /// Rank 0's `bytes` on every rank (resized to rank 0's length).
    pub fn broadcast_bytes(&self, bytes: &mut Vec<u8>) {
        self.broadcast_bytes_from(0, bytes);
    }

    /// Every rank's `mine`, in rank order, on every rank.
    pub fn all_gather_bytes(&self, mine: &[u8]) -> Vec<Vec<u8>> {
        (0..self.size())
            .map(|root| {
                let mut bytes = if root == self.rank() {
                    mine.to_vec()
                } else {
                    Vec::new()
                };
                self.broadcast_bytes_from(root, &mut bytes);
                bytes
            })
            .collect()
    }

    fn broadcast_bytes_from(&self, root: usize, bytes: &mut Vec<u8>) {
        if self.size() == 1 {
            return;
        }
        let mut len = [bytes.len() as f64];
        self.comm().broadcast(root, DataMut::F64(&mut len));
        bytes.resize(len[0] as usize, 0);
        self.comm().broadcast(root, DataMut::Bytes(bytes));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ThreadedRanks;

    /// The chain applies every rank's part in rank order and leaves the result everywhere;
    /// `agree` names the lowest failing rank on every other rank.
    #[test]
    fn chain_runs_in_rank_order_and_agree_names_the_failing_rank() {
        let out = ThreadedRanks::run(3, |ranks| {
            let mut v = [0.0f64; 2];
            let r = ranks.rank() as f64;
            ranks.chain(&mut v, |v| {
                v[0] = v[0] * 10.0 + r + 1.0;
                v[1] += 1.0;
            });
            let failed: Result<(), TrainError> = if ranks.rank() >= 1 {
                Err(TrainError::config("x", ranks.rank(), "fine"))
            } else {
                Ok(())
            };
            let agreed = ranks.agree(failed).unwrap_err().to_string();
            let mut counts = [ranks.rank() as u64 + 1, 7];
            ranks.sum_counts(&mut counts, &mut [0.0; 2]);
            (v, agreed, counts)
        });
        for (rank, (v, agreed, counts)) in out.into_iter().enumerate() {
            assert_eq!(v, [123.0, 3.0], "rank {rank}");
            assert!(agreed.contains("config key `x`: 1 is invalid"), "{agreed}");
            assert_eq!(rank == 1, !agreed.starts_with("rank 1 failed"), "{agreed}");
            assert_eq!(counts, [6, 21]);
        }
    }

    /// A pass in pieces gives every rank what the pass in one piece gives, whatever the piece
    /// length (including one that does not divide the data, and an empty vector).
    #[test]
    fn a_pass_in_pieces_equals_the_pass_in_one() {
        for (len, chunk) in [(10, 3), (10, 10), (10, 1), (7, 100), (0, 4)] {
            let out = ThreadedRanks::run(3, |ranks| {
                let r = ranks.rank() as f64;
                let add = |at: usize, d: &mut [f64]| {
                    for (i, x) in d.iter_mut().enumerate() {
                        *x = *x * 0.5 + r + (at + i) as f64;
                    }
                };
                let mut whole = vec![1.0; len];
                ranks.chain(&mut whole, |d| add(0, d));
                let mut pieces = vec![1.0; len];
                ranks.chain_chunks(&mut pieces, chunk, add);
                (whole, pieces)
            });
            for (whole, pieces) in out {
                assert_eq!(whole, pieces, "len {len} chunk {chunk}");
                assert!(len == 0 || whole[len - 1] != 1.0);
            }
        }
    }
}
