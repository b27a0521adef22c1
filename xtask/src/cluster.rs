//! The ranks this process runs among: one process, or (feature `mpi`) the ranks of the MPI job
//! it was started in by `mpirun` or `srun`. Sets each rank's thread count and turns a failure
//! into one clear message and the end of the whole job.

use anyhow::Error;
use prdp_train::{Ranks, TrainError};

/// An error every rank meets in the same way (a command-line check before any rank has
/// started work): printed once, by rank 0.
#[derive(Debug)]
pub struct Everywhere(String);

impl Everywhere {
    /// The error `message`, met on every rank.
    pub fn error(message: &str) -> Error {
        Self(message.to_owned()).into()
    }
}

impl std::fmt::Display for Everywhere {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Everywhere {}

/// The ranks of this process, with MPI kept alive for as long as the value lives.
pub struct Cluster {
    /// The ranks.
    pub ranks: Ranks,
    #[cfg(feature = "mpi")]
    _universe: Option<mpi::environment::Universe>,
}

impl Cluster {
    /// One process (without the `mpi` feature); under it, the MPI job's ranks (a process not
    /// started by an MPI launcher is a job of one rank). Each rank gets an equal share of its
    /// node's cores as rayon threads unless `RAYON_NUM_THREADS` says otherwise, and a panic on
    /// any rank aborts the job after naming the rank.
    pub fn init() -> Self {
        #[cfg(feature = "mpi")]
        {
            use mpi::traits::Communicator as _;
            let universe = mpi::initialize().expect("MPI is initialised once, here");
            let world = universe.world();
            let node = world.split_shared(world.rank());
            let per_node = usize::try_from(node.size()).unwrap_or(1).max(1);
            if per_node > 1 && std::env::var_os("RAYON_NUM_THREADS").is_none() {
                let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
                // Only fails if a pool exists already, which would then be kept.
                let _ = rayon::ThreadPoolBuilder::new()
                    .num_threads((cores / per_node).max(1))
                    .build_global();
            }
            let rank = world.rank();
            if world.size() > 1 {
                let previous = std::panic::take_hook();
                std::panic::set_hook(Box::new(move |info| {
                    eprintln!("rank {rank}: the process panicked; aborting the MPI job");
                    previous(info);
                    mpi::topology::SimpleCommunicator::world().abort(101);
                }));
            }
            Self {
                ranks: Ranks::new(prdp_train::MpiRanks::new(world)),
                _universe: Some(universe),
            }
        }
        #[cfg(not(feature = "mpi"))]
        Self {
            ranks: Ranks::default(),
        }
    }

    /// Reports the command's failure and ends the job. An error every rank knows (it passed
    /// through [`Ranks::agree`]: a configuration or data error, or another rank's failure; or
    /// an [`Everywhere`] error) is printed once, by rank 0; an error of this rank alone is
    /// printed with its rank, and the job is aborted so that no rank waits for it.
    pub fn fail(&self, e: &Error) -> ! {
        let everywhere = e.chain().any(|c| c.is::<Everywhere>());
        let agreed = everywhere
            || e.chain().any(|c| {
                matches!(
                    c.downcast_ref::<TrainError>(),
                    Some(TrainError::Rank { .. })
                )
            });
        let p = self.ranks.size();
        if p == 1 {
            eprintln!("Error: {e:?}");
        } else if self.ranks.is_root() {
            eprintln!("Error (rank 0 of {p}): {e:?}");
        } else if !agreed {
            eprintln!("Error on rank {} of {p}: {e:?}", self.ranks.rank());
        }
        #[cfg(feature = "mpi")]
        if p > 1 && !everywhere && (self.ranks.is_root() || !agreed) {
            use mpi::traits::Communicator as _;
            mpi::topology::SimpleCommunicator::world().abort(1);
        }
        std::process::exit(1)
    }
}
