//! The PRDP controller against an independent replay of Algorithm 4 as the reference code
//! implements it (`should_refine` in tum-pbs/PRDP), on random configurations and metric
//! histories with plateaus, spikes, smooth decay and noise.
//!
//! The replay follows the text, not `refine.rs`: it recomputes the EMA over the whole history
//! at every observation (as the reference's `numpy_ewma`) and indexes it the Python way.

use prdp_train::{Decision, InitialCheckpoint, KSchedule, PrdpConfig, Refiner, TrainError};
use proptest::prelude::*;

/// The reference's `numpy_ewma`: α = 2/(window + 1), seeded with the first value; the raw
/// history without a window (the Poisson notebook).
fn ema(x: &[f64], window: Option<usize>) -> Vec<f64> {
    let Some(window) = window else {
        return x.to_vec();
    };
    let alpha = 2.0 / (window as f64 + 1.0);
    let mut y: Vec<f64> = Vec::with_capacity(x.len());
    for &v in x {
        let next = match y.last() {
            None => v,
            Some(&prev) => (1.0 - alpha) * prev + alpha * v,
        };
        y.push(next);
    }
    y
}

/// Python's `y[-i]`.
fn back(y: &[f64], i: usize) -> f64 {
    y[y.len() - i]
}

/// `should_refine` and its caller's K update, one observation at a time.
struct Replay {
    config: PrdpConfig,
    history: Vec<f64>,
    checkpoint: f64,
    k: usize,
    refinements: Vec<usize>,
}

impl Replay {
    fn new(config: PrdpConfig) -> Self {
        let checkpoint = match config.initial_checkpoint {
            InitialCheckpoint::Value(v) => v,
            InitialCheckpoint::Infinite | InitialCheckpoint::FirstMetric => f64::INFINITY,
        };
        Self {
            k: config.k0,
            config,
            history: Vec::new(),
            checkpoint,
            refinements: Vec::new(),
        }
    }

    fn observe(&mut self, value: f64) -> Decision {
        self.history.push(value);
        let c = &self.config;
        if self.history.len() == 1 && c.initial_checkpoint == InitialCheckpoint::FirstMetric {
            self.checkpoint = value;
        }
        if self.history.len() <= c.delta {
            return Decision::Warmup;
        }
        let y = ema(&self.history, c.ema_window);
        let latest = back(&y, 1);
        let r = latest / back(&y, c.delta);
        if r <= c.tau_step {
            return Decision::Improving;
        }
        let rc = latest / self.checkpoint;
        if !(rc < c.tau_stop || rc > 1.0) {
            return Decision::Saturated;
        }
        self.checkpoint = latest;
        let next = match c.cap {
            Some(cap) => (self.k + c.dk).min(cap),
            None => self.k + c.dk,
        };
        if next == self.k {
            return Decision::AtCap;
        }
        self.k = next;
        self.refinements.push(self.history.len() - 1);
        Decision::Refine
    }
}

/// A piece of a metric history, continuing from the previous value.
#[derive(Debug, Clone)]
enum Piece {
    /// The previous value repeated exactly.
    Plateau(usize),
    /// One value 10 to 100 times the previous (a divergent blip).
    Spike(f64),
    /// Geometric decay at this rate per interval.
    Decay(f64, usize),
    /// The previous value times 1 + each of these.
    Noise(Vec<f64>),
    /// A NaN or infinite value, which the controller must refuse.
    NonFinite(f64),
}

fn piece() -> impl Strategy<Value = Piece> {
    prop_oneof![
        (1..15usize).prop_map(Piece::Plateau),
        (10.0..100.0f64).prop_map(Piece::Spike),
        (0.5..0.999f64, 1..20usize).prop_map(|(r, n)| Piece::Decay(r, n)),
        prop::collection::vec(-0.2..0.2f64, 1..12).prop_map(Piece::Noise),
        prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(f64::NEG_INFINITY)]
            .prop_map(Piece::NonFinite),
    ]
}

/// A metric history of at most 120 values starting at `start`.
fn history() -> impl Strategy<Value = Vec<f64>> {
    (
        0.01..10.0f64,
        prop::collection::vec(piece(), 0..16),
        0..120usize,
    )
        .prop_map(|(start, pieces, len)| {
            let mut out = vec![start];
            let mut prev = start;
            for p in pieces {
                match p {
                    Piece::Plateau(n) => out.extend(std::iter::repeat_n(prev, n)),
                    Piece::Spike(f) => out.push(prev * f),
                    Piece::Decay(r, n) => {
                        for _ in 0..n {
                            prev *= r;
                            out.push(prev);
                        }
                    }
                    Piece::Noise(eps) => out.extend(eps.iter().map(|e| prev * (1.0 + e))),
                    Piece::NonFinite(v) => out.push(v),
                }
                prev = *out.iter().rev().find(|v| v.is_finite()).unwrap_or(&start);
            }
            out.truncate(len);
            out
        })
}

fn config() -> impl Strategy<Value = PrdpConfig> {
    let tau = || prop_oneof![Just(1.0), 0.5..1.0f64];
    let initial = prop_oneof![
        Just(InitialCheckpoint::Infinite),
        Just(InitialCheckpoint::FirstMetric),
        (0.01..20.0f64).prop_map(InitialCheckpoint::Value),
    ];
    (
        (2..7usize, prop::option::of(1..17usize), tau(), tau()),
        (1..6usize, 1..5usize, prop::option::of(0..9usize), initial),
    )
        .prop_map(
            |((delta, ema_window, tau_step, tau_stop), (k0, dk, cap_above_k0, initial))| {
                PrdpConfig {
                    k0,
                    dk,
                    tau_step,
                    tau_stop,
                    delta,
                    ema_window,
                    initial_checkpoint: initial,
                    cap: cap_above_k0.map(|extra| k0 + extra),
                    ..PrdpConfig::default()
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_controller_matches_the_replay_after_every_observation(
        config in config(),
        values in history(),
    ) {
        let mut rust = Refiner::new(KSchedule::Prdp(config.clone())).unwrap();
        let mut replay = Replay::new(config.clone());
        for (i, &v) in values.iter().enumerate() {
            if !v.is_finite() {
                let before = (rust.k(), rust.checkpoint(), rust.history().len());
                let e = rust.observe(v).unwrap_err();
                let refused = matches!(
                    e,
                    TrainError::NonFiniteMetric { index, value, k }
                        if index == before.2 && k == before.0 && value.to_bits() == v.to_bits()
                );
                prop_assert!(refused, "observation {i}: {e}");
                prop_assert_eq!((rust.k(), rust.checkpoint(), rust.history().len()), before);
                continue;
            }
            let decision = rust.observe(v).unwrap();
            let expected = replay.observe(v);
            prop_assert_eq!(decision, expected, "observation {}", i);
            prop_assert_eq!(rust.k(), replay.k, "K after observation {}", i);
            prop_assert_eq!(
                rust.checkpoint().to_bits(),
                replay.checkpoint.to_bits(),
                "checkpoint after observation {}: {} vs {}",
                i,
                rust.checkpoint(),
                replay.checkpoint
            );
            prop_assert_eq!(rust.history(), replay.history.as_slice());
            prop_assert_eq!(rust.refinements(), replay.refinements.as_slice());
        }
    }
}

#[test]
fn the_replay_refines_on_a_hand_made_plateau() {
    // Guards the replay itself: δ = 2, no EMA, c = +∞, τ_step = 0.95, τ_stop = 0.9.
    // [1, 0.5, 0.25] improves by halving; r = 0.245 / 0.25 = 0.98 is a plateau and refines
    // (c = 0.245); r = 0.2401 / 0.245 = 0.98 is another, but r_c = 0.98 lies between τ_stop
    // and 1: saturated.
    let mut r = Replay::new(PrdpConfig {
        delta: 2,
        ema_window: None,
        ..PrdpConfig::default()
    });
    let decisions: Vec<Decision> = [1.0, 0.5, 0.25, 0.245, 0.2401]
        .into_iter()
        .map(|v| r.observe(v))
        .collect();
    assert_eq!(
        decisions,
        [
            Decision::Warmup,
            Decision::Warmup,
            Decision::Improving,
            Decision::Refine,
            Decision::Saturated
        ]
    );
    assert_eq!(
        (r.k, r.checkpoint, r.refinements.as_slice()),
        (2, 0.245, &[3][..])
    );
}
