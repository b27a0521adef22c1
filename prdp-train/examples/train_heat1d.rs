//! PRDP on the heat 1D emulator of the PRDP paper (section 4.2, appendix F.2): an MLP learns
//! one BTCS step while gradients flow through K Jacobi iterations of the next step; PRDP raises
//! K from 1 whenever the validation error plateaus. Prints K and the validation error per
//! epoch, and the savings against the converged K_ε = 25.
//!
//! `cargo run --release -p prdp-train --example train_heat1d`

use prdp_train::{
    Experiment, IntervalRecord, KSchedule, Observer, RunOptions, ScenarioConfig, TrainError,
    presets, savings,
};

/// Prints one line per epoch.
struct Print;

impl Observer for Print {
    fn interval(&mut self, r: &IntervalRecord) {
        println!(
            "epoch {:>3}  K {:>3}  train loss {:.3e}  validation nMSE (t = 2) {:.3e}  {:?}",
            r.epoch,
            r.k,
            r.train_loss.unwrap_or(f64::NAN),
            r.validation.metric,
            r.decision
        );
    }
}

fn main() -> Result<(), TrainError> {
    let scenario = ScenarioConfig::Emulator(presets::heat_emulator(1));
    let prdp = Experiment {
        name: "heat1d-prdp".into(),
        seed: 1,
        schedule: KSchedule::Prdp(presets::heat_prdp(1)),
        scenario: scenario.clone(),
    };
    let k_eps = prdp.k_epsilon(None, 200, presets::EPSILON)?.k.unwrap_or(25);
    let rec = prdp.run(&RunOptions::default(), None, &mut Print)?;
    let baseline = Experiment {
        name: "heat1d-converged".into(),
        schedule: KSchedule::Fixed { k: k_eps },
        ..prdp
    }
    .run(&RunOptions::default(), None, &mut prdp_train::Silent)?;
    let s = savings(rec.ledger.cost, baseline.ledger.cost, rec.final_k(), k_eps);
    println!(
        "\nK_eps = {k_eps}; PRDP ended at K = {} with validation error {:.3e} (converged: {:.3e})\n\
         inner iterations: {} vs {} -> savings {:.0}% (progressive refinement {:.0}%, incomplete convergence {:.0}%)\n\
         training time: {:.2} s vs {:.2} s",
        rec.final_k(),
        rec.final_metric(),
        baseline.final_metric(),
        rec.ledger.cost,
        baseline.ledger.cost,
        100.0 * s.total,
        100.0 * s.pr,
        100.0 * s.ic,
        rec.ledger.wall.training(),
        baseline.ledger.wall.training()
    );
    Ok(())
}
