//! Ranks that are threads of one process: data-parallel code tested without MPI.

use std::sync::mpsc::{Receiver, Sender, channel};

use crate::comm::{Communicator, Data, DataMut, Ranks};

/// One rank of a set of threads connected by channels, one channel per ordered pair of ranks.
/// It behaves as MPI ranks do for [`Communicator`]'s operations, so code written for MPI runs
/// on it in one process (tests, and comparing a run on P ranks with one on a single rank).
///
/// # Example
/// ```
/// use prdp_train::ThreadedRanks;
/// let sizes = ThreadedRanks::run(3, |ranks| (ranks.rank(), ranks.size()));
/// assert_eq!(sizes, vec![(0, 3), (1, 3), (2, 3)]);
/// ```
pub struct ThreadedRanks {
    rank: usize,
    to: Vec<Sender<Vec<u8>>>,
    from: Vec<Receiver<Vec<u8>>>,
}

impl ThreadedRanks {
    /// `size` connected ranks, in rank order.
    pub fn create(size: usize) -> Vec<Self> {
        let mut senders: Vec<Vec<Sender<Vec<u8>>>> = (0..size).map(|_| Vec::new()).collect();
        let mut receivers: Vec<Vec<Receiver<Vec<u8>>>> = (0..size).map(|_| Vec::new()).collect();
        for sender in &mut senders {
            for receiver in &mut receivers {
                let (tx, rx) = channel();
                sender.push(tx);
                receiver.push(rx);
            }
        }
        senders
            .into_iter()
            .zip(receivers)
            .enumerate()
            .map(|(rank, (to, from))| Self { rank, to, from })
            .collect()
    }

    /// Runs `f` on `size` ranks, each on its own thread, and returns their results in rank
    /// order.
    ///
    /// # Panics
    /// If a rank panics.
    pub fn run<R: Send>(size: usize, f: impl Fn(Ranks) -> R + Sync) -> Vec<R> {
        let f = &f;
        std::thread::scope(|s| {
            let handles: Vec<_> = Self::create(size)
                .into_iter()
                .map(|rank| s.spawn(move || f(Ranks::new(rank))))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a rank panicked"))
                .collect()
        })
    }
}

fn bytes(data: Data<'_>) -> Vec<u8> {
    match data {
        Data::F32(s) => s.iter().flat_map(|x| x.to_ne_bytes()).collect(),
        Data::F64(s) => s.iter().flat_map(|x| x.to_ne_bytes()).collect(),
        Data::Bytes(s) => s.to_vec(),
    }
}

fn unpack(message: &[u8], data: DataMut<'_>) {
    let wrong = |len: usize| panic!("a message of {} bytes for {len} bytes", message.len());
    match data {
        DataMut::F32(s) => {
            if message.len() != 4 * s.len() {
                wrong(4 * s.len());
            }
            for (x, b) in s.iter_mut().zip(message.chunks_exact(4)) {
                *x = f32::from_ne_bytes(b.try_into().expect("4 bytes"));
            }
        }
        DataMut::F64(s) => {
            if message.len() != 8 * s.len() {
                wrong(8 * s.len());
            }
            for (x, b) in s.iter_mut().zip(message.chunks_exact(8)) {
                *x = f64::from_ne_bytes(b.try_into().expect("8 bytes"));
            }
        }
        DataMut::Bytes(s) => {
            if message.len() != s.len() {
                wrong(s.len());
            }
            s.copy_from_slice(message);
        }
    }
}

impl Communicator for ThreadedRanks {
    fn rank(&self) -> usize {
        self.rank
    }

    fn size(&self) -> usize {
        self.to.len()
    }

    fn send(&self, to: usize, data: Data<'_>) {
        self.to[to]
            .send(bytes(data))
            .expect("the receiving rank has ended");
    }

    fn receive(&self, from: usize, data: DataMut<'_>) {
        let message = self.from[from].recv().expect("the sending rank has ended");
        unpack(&message, data);
    }

    fn broadcast(&self, root: usize, data: DataMut<'_>) {
        if self.rank == root {
            for to in (0..self.size()).filter(|&r| r != root) {
                self.send(to, data.as_data());
            }
        } else {
            self.receive(root, data);
        }
    }
}
