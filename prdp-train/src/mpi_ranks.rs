//! MPI ranks (feature `mpi`): a [`Communicator`] over an MPI communicator.

use mpi::topology::SimpleCommunicator;
use mpi::traits::{Communicator as _, Destination, Root, Source};

use crate::comm::{Communicator, Data, DataMut};

/// The ranks of an MPI communicator (the `mpi` crate over the system's MPI library), for
/// [`crate::Ranks::new`].
///
/// ```no_run
/// let universe = mpi::initialize().expect("MPI initialises once");
/// let ranks = prdp_train::Ranks::new(prdp_train::MpiRanks::new(universe.world()));
/// println!("rank {} of {}", ranks.rank(), ranks.size());
/// ```
pub struct MpiRanks(SimpleCommunicator);

impl MpiRanks {
    /// The ranks of `comm` (usually `universe.world()`).
    pub fn new(comm: SimpleCommunicator) -> Self {
        Self(comm)
    }
}

fn index(rank: usize) -> i32 {
    i32::try_from(rank).expect("MPI ranks fit in i32")
}

impl Communicator for MpiRanks {
    fn rank(&self) -> usize {
        usize::try_from(self.0.rank()).expect("MPI ranks are not negative")
    }

    fn size(&self) -> usize {
        usize::try_from(self.0.size()).expect("MPI sizes are positive")
    }

    fn send(&self, to: usize, data: Data<'_>) {
        let p = self.0.process_at_rank(index(to));
        match data {
            Data::F32(s) => p.send(s),
            Data::F64(s) => p.send(s),
            Data::Bytes(s) => p.send(s),
        }
    }

    fn receive(&self, from: usize, data: DataMut<'_>) {
        let p = self.0.process_at_rank(index(from));
        match data {
            DataMut::F32(s) => drop(p.receive_into(s)),
            DataMut::F64(s) => drop(p.receive_into(s)),
            DataMut::Bytes(s) => drop(p.receive_into(s)),
        }
    }

    fn broadcast(&self, root: usize, data: DataMut<'_>) {
        let p = self.0.process_at_rank(index(root));
        match data {
            DataMut::F32(s) => p.broadcast_into(s),
            DataMut::F64(s) => p.broadcast_into(s),
            DataMut::Bytes(s) => p.broadcast_into(s),
        }
    }
}
