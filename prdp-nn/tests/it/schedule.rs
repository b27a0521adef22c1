//! Learning-rate schedules against hand-computed optax values.

use prdp_nn::LrSchedule;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-15 * b.abs().max(1.0)
}

fn exp(
    staircase: bool,
    transition_begin: u64,
    end_value: Option<f64>,
    decay_rate: f64,
) -> LrSchedule {
    LrSchedule::ExponentialDecay {
        init_value: 1.0,
        transition_steps: 10,
        decay_rate,
        transition_begin,
        staircase,
        end_value,
    }
}

#[test]
fn exponential_decay() {
    let smooth = exp(false, 0, None, 0.5);
    assert_eq!(smooth.value(0), 1.0);
    assert!(close(smooth.value(5), std::f64::consts::FRAC_1_SQRT_2));
    assert!(close(smooth.value(10), 0.5));
    assert!(close(smooth.value(25), 0.5f64.powf(2.5)));
    let stairs = exp(true, 0, None, 0.5);
    assert_eq!(
        [stairs.value(5), stairs.value(10), stairs.value(25)],
        [1.0, 0.5, 0.25]
    );
    let late = exp(true, 5, None, 0.5);
    assert_eq!(
        [late.value(3), late.value(5), late.value(14), late.value(15)],
        [1.0, 1.0, 1.0, 0.5]
    );
    assert_eq!(exp(true, 0, Some(0.3), 0.5).value(25), 0.3);
    assert_eq!(exp(true, 0, Some(3.0), 2.0).value(30), 3.0);
    let constant = LrSchedule::ExponentialDecay {
        init_value: 0.7,
        transition_steps: 0,
        decay_rate: 0.5,
        transition_begin: 0,
        staircase: false,
        end_value: None,
    };
    assert_eq!(constant.value(1000), 0.7);
}

#[test]
fn cosine_decay() {
    let s = LrSchedule::CosineDecay {
        init_value: 2.0,
        decay_steps: 100,
        alpha: 0.1,
        exponent: 1.0,
    };
    assert_eq!(s.value(0), 2.0);
    assert!(close(s.value(50), 1.1));
    assert!(close(s.value(100), 0.2));
    assert!(close(s.value(200), 0.2));
    let squared = LrSchedule::CosineDecay {
        init_value: 1.0,
        decay_steps: 100,
        alpha: 0.0,
        exponent: 2.0,
    };
    assert!(close(squared.value(50), 0.25));
}

#[test]
fn linear_and_warmups() {
    let s = LrSchedule::Linear {
        init_value: 0.0,
        end_value: 1.0,
        transition_steps: 4,
        transition_begin: 2,
    };
    assert_eq!(
        [s.value(0), s.value(2), s.value(3), s.value(6), s.value(10)],
        [0.0, 0.0, 0.25, 1.0, 1.0]
    );
    let w = LrSchedule::WarmupCosineDecay {
        init_value: 0.0,
        peak_value: 1.0,
        warmup_steps: 10,
        decay_steps: 110,
        end_value: 0.1,
        exponent: 1.0,
    };
    assert_eq!([w.value(0), w.value(5), w.value(10)], [0.0, 0.5, 1.0]);
    assert!(close(w.value(60), 0.55));
    assert!(close(w.value(110), 0.1) && close(w.value(500), 0.1));
    let w = LrSchedule::Warmup {
        init_value: 0.0,
        warmup_steps: 4,
        after: Box::new(LrSchedule::Constant { value: 0.8 }),
    };
    assert_eq!(
        [w.value(0), w.value(2), w.value(4), w.value(100)],
        [0.0, 0.4, 0.8, 0.8]
    );
}

#[test]
fn schedules_validate_and_round_trip() {
    let s = LrSchedule::Warmup {
        init_value: 0.0,
        warmup_steps: 4,
        after: Box::new(exp(true, 3, Some(0.1), 0.5)),
    };
    let json = serde_json::to_string(&s).unwrap();
    assert_eq!(serde_json::from_str::<LrSchedule>(&json).unwrap(), s);
    assert!(s.validate().is_ok());
    let parsed: LrSchedule = serde_json::from_str(r#"{"kind": "exponential_decay", "init_value": 1e-3, "transition_steps": 100, "decay_rate": 0.9}"#).unwrap();
    assert_eq!(
        parsed,
        LrSchedule::ExponentialDecay {
            init_value: 1e-3,
            transition_steps: 100,
            decay_rate: 0.9,
            transition_begin: 0,
            staircase: false,
            end_value: None
        }
    );
    assert!(
        serde_json::from_str::<LrSchedule>(r#"{"kind": "constant", "value": 1.0, "steps": 3}"#)
            .is_err()
    );
    let bad = LrSchedule::CosineDecay {
        init_value: 1.0,
        decay_steps: 0,
        alpha: 0.0,
        exponent: 1.0,
    };
    assert!(
        bad.validate()
            .unwrap_err()
            .to_string()
            .contains("decay_steps")
    );
    assert!(exp(false, 0, None, 0.0).validate().is_err());
    let bad = LrSchedule::WarmupCosineDecay {
        init_value: 0.0,
        peak_value: 1.0,
        warmup_steps: 10,
        decay_steps: 10,
        end_value: 0.0,
        exponent: 1.0,
    };
    assert!(bad.validate().is_err());
}

#[test]
fn a_time_scaled_schedule_takes_the_same_values_at_the_same_fraction_of_the_run() {
    let schedules = [
        LrSchedule::ExponentialDecay {
            init_value: 1e-3,
            transition_steps: 100,
            decay_rate: 0.9,
            transition_begin: 40,
            staircase: false,
            end_value: None,
        },
        LrSchedule::CosineDecay {
            init_value: 1e-3,
            decay_steps: 800,
            alpha: 0.1,
            exponent: 1.0,
        },
        LrSchedule::Linear {
            init_value: 1.0,
            end_value: 0.5,
            transition_steps: 200,
            transition_begin: 20,
        },
        LrSchedule::WarmupCosineDecay {
            init_value: 0.0,
            peak_value: 1.0,
            warmup_steps: 40,
            decay_steps: 400,
            end_value: 0.1,
            exponent: 2.0,
        },
        LrSchedule::Warmup {
            init_value: 0.0,
            warmup_steps: 20,
            after: Box::new(LrSchedule::CosineDecay {
                init_value: 1.0,
                decay_steps: 100,
                alpha: 0.0,
                exponent: 1.0,
            }),
        },
    ];
    for s in &schedules {
        // Factors for which every step count scales to a whole number: exact equality.
        for factor in [0.25, 0.5, 2.0] {
            let t = s.time_scaled(factor);
            assert!(t.validate().is_ok());
            for step in (0..1600).step_by(20) {
                let scaled = (step as f64 * factor) as u64;
                assert_eq!(
                    t.value(scaled),
                    s.value(step),
                    "{s:?} × {factor} at step {step}"
                );
            }
        }
    }
    // A constant has no time axis; a factor of 1 changes nothing.
    assert_eq!(
        LrSchedule::Constant { value: 2.0 }.time_scaled(0.1),
        LrSchedule::Constant { value: 2.0 }
    );
    assert_eq!(schedules[1].time_scaled(1.0), schedules[1]);
    // Rounding keeps a non-zero length non-zero.
    let LrSchedule::CosineDecay { decay_steps, .. } = schedules[1].time_scaled(1e-6) else {
        unreachable!()
    };
    assert_eq!(decay_steps, 1);
}
