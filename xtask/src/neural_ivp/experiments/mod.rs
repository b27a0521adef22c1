//! The experiments of the Neural IVP reproduction: the list `reproduce neural-ivp` runs, in
//! order, with one module per experiment or group of closely related experiments and the
//! pieces they share (method series, reference fields, solver runs, figures).

mod ablation;
mod fields;
mod figures;
mod high_dim;
mod initial_fit;
mod method_series;
mod runs;
mod scaling;
mod two_d;
mod wave3d;
mod wave3d_reference;
mod wave_maps;

use std::path::Path;

use anyhow::Result;

use super::Ctx;
use super::report::Summary;

/// One experiment.
pub(crate) struct IvpExperiment {
    /// Directory name under the output directory, and the name in progress lines.
    pub name: &'static str,
    /// Runs the experiment, writing its figures into the given directory.
    pub run: fn(&Ctx, &Path) -> Result<Summary>,
}

/// All experiments, in order.
pub(crate) const ALL: &[IvpExperiment] = &[
    IvpExperiment {
        name: "advection2d",
        run: two_d::advection,
    },
    IvpExperiment {
        name: "heat2d",
        run: two_d::heat,
    },
    IvpExperiment {
        name: "wave3d",
        run: wave3d::wave3d,
    },
    IvpExperiment {
        name: "wave3d_reference",
        run: wave3d_reference::wave3d_reference,
    },
    IvpExperiment {
        name: "vlasov6d",
        run: high_dim::vlasov,
    },
    IvpExperiment {
        name: "fokker_planck",
        run: high_dim::fokker_planck,
    },
    IvpExperiment {
        name: "fokker_planck_dimension",
        run: high_dim::fp_dimension,
    },
    IvpExperiment {
        name: "wave_maps",
        run: wave_maps::wave_maps,
    },
    IvpExperiment {
        name: "solver_ablation",
        run: ablation::ablation,
    },
    IvpExperiment {
        name: "initial_fit",
        run: initial_fit::initial_fit,
    },
    IvpExperiment {
        name: "scaling",
        run: scaling::scaling,
    },
];
