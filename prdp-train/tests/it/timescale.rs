//! Shortened runs keep the time scales of their preset.

use prdp_nn::{LrSchedule, Optimizer};
use prdp_pde::DataSpec;
use prdp_train::{Interval, ScenarioConfig, TrainError, presets, rescale_time};

fn learning_rate(c: &ScenarioConfig) -> LrSchedule {
    let ScenarioConfig::Emulator(e) = c else {
        unreachable!()
    };
    let Optimizer::Adam { learning_rate, .. } = &e.optimizer else {
        unreachable!()
    };
    learning_rate.clone()
}

#[test]
fn a_shortened_run_anneals_and_decides_as_often_per_fraction_of_its_length() {
    // Heat 2D: 70 epochs of 200 / 25 = 8 steps; the quick preset runs 35 epochs of 100 samples
    // (4 steps): a quarter of the update steps.
    let paper = ScenarioConfig::Emulator(presets::heat_emulator(2));
    let mut short = paper.clone();
    if let ScenarioConfig::Emulator(c) = &mut short {
        c.epochs = 35;
        c.data = DataSpec {
            train: 100,
            ..DataSpec::default()
        };
    }
    let mut prdp = presets::heat_prdp(2);
    let scale = rescale_time(&paper, &mut short, &mut prdp).unwrap();
    assert_eq!((scale.reference_steps, scale.steps), (560, 140));
    assert_eq!(scale.factor(), 0.25);
    // The learning rate at the end (and at every fraction) of the run is the preset's.
    let (full, cut) = (learning_rate(&paper), learning_rate(&short));
    for frac in [0.0, 0.25, 0.5, 1.0] {
        assert_eq!(
            cut.value((140.0 * frac) as u64),
            full.value((560.0 * frac) as u64)
        );
    }
    // One decision per 8 steps at the preset's length: every 2 steps now, 70 decisions in both.
    assert_eq!(prdp.interval, Interval::Steps(2));
    assert_eq!(scale.decisions(), 70);
    assert!(scale.describe().contains("×0.250"), "{}", scale.describe());
}

#[test]
fn an_interval_of_whole_epochs_stays_in_epochs_and_the_reference_length_changes_nothing() {
    let paper = ScenarioConfig::Emulator(presets::heat_emulator(1));
    let mut same = paper.clone();
    let mut prdp = presets::heat_prdp(1);
    let scale = rescale_time(&paper, &mut same, &mut prdp).unwrap();
    assert!(!scale.is_rescaled());
    assert_eq!(same, paper);
    assert_eq!(prdp, presets::heat_prdp(1));
    // Half the epochs and a controller deciding every 2 epochs: every epoch now.
    let mut half = paper.clone();
    if let ScenarioConfig::Emulator(c) = &mut half {
        c.epochs = 50;
    }
    prdp.interval = Interval::Epochs(2);
    rescale_time(&paper, &mut half, &mut prdp).unwrap();
    assert_eq!(prdp.interval, Interval::Epochs(1));
}

#[test]
fn a_run_without_update_steps_is_a_config_error() {
    let paper = ScenarioConfig::Emulator(presets::heat_emulator(1));
    let mut empty = paper.clone();
    if let ScenarioConfig::Emulator(c) = &mut empty {
        c.epochs = 0;
    }
    let err = rescale_time(&paper, &mut empty, &mut presets::heat_prdp(1)).unwrap_err();
    assert!(matches!(err, TrainError::Config { .. }), "{err}");
    assert!(err.to_string().contains("run update steps"), "{err}");
}
