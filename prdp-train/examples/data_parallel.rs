//! Data-parallel training whose result does not depend on the number of ranks: the heat 1D
//! emulator with `gradient_blocks = 4`, trained in one process and on 2 and 4 ranks (threads
//! here; MPI processes with the `mpi` feature and `MpiRanks`), ends with the same parameters bit
//! for bit.
//!
//! `cargo run --release -p prdp-train --example data_parallel`

use prdp_train::{
    Experiment, KSchedule, Ranks, RunOptions, ScenarioConfig, Silent, ThreadedRanks, TrainError,
    presets,
};

/// Trains `exp` in a fresh directory on `ranks` and returns rank 0's final validation error
/// and parameter file.
fn train(exp: &Experiment, name: &str, ranks: Ranks) -> Result<(f64, Vec<u8>), TrainError> {
    let dir = std::env::temp_dir().join(format!("prdp-data-parallel-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    let opts = RunOptions {
        dir: Some(dir.clone()),
        ranks,
        ..RunOptions::default()
    };
    let rec = exp.run(&opts, None, &mut Silent)?;
    let path = dir.join(format!("params-{}.bin", rec.intervals.len() - 1));
    let params = std::fs::read(&path).map_err(|e| TrainError::io(&path, e))?;
    Ok((rec.final_metric(), params))
}

fn main() -> Result<(), TrainError> {
    let mut config = presets::heat_emulator(1);
    config.epochs = 10;
    config.gradient_blocks = 4;
    let exp = Experiment {
        name: "heat1d-data-parallel".into(),
        seed: 1,
        schedule: KSchedule::Prdp(presets::heat_prdp(1)),
        scenario: ScenarioConfig::Emulator(config),
    };
    let (metric, params) = train(&exp, "single", Ranks::default())?;
    println!("one process: validation nMSE {metric:.6e}");
    for p in [2, 4] {
        let runs = ThreadedRanks::run(p, |ranks| {
            let root = ranks.is_root();
            train(&exp, &format!("{p}-ranks"), ranks).map(|r| root.then_some(r))
        });
        let mut root = None;
        for r in runs {
            root = root.or(r?);
        }
        let (m, par) = root.expect("rank 0 reports");
        println!(
            "{p} ranks:     validation nMSE {m:.6e}; parameters identical to one process: {}",
            par == params
        );
    }
    Ok(())
}
