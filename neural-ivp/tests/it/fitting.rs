//! Initial fit and head tuning.

use neural_ivp::{Activation, FitConfig, Measure, Trunks, fit, tune_head};

use crate::{net_16x2, points, random, small_net};

/// Head tuning recovers the exact last-layer weights of a target built from the same trunk.
#[test]
fn head_tuning_recovers_exact_weights() {
    for trunks in [Trunks::Shared, Trunks::PerOutput] {
        let net = small_net(2, 2, true, Activation::Swish, true, trunks);
        let truth = random(net.num_params(), 3);
        let xs = points(500, 2, 4);
        let mut y = vec![0.0; 1000];
        net.eval(&truth, &xs, &mut y).unwrap();
        let mut theta = truth.clone();
        let heads: Vec<usize> = (0..net.trunks())
            .flat_map(|k| {
                let (w, b) = net.head(k);
                w.chain(b)
            })
            .collect();
        assert_eq!(heads.len(), 2 * (7 + 1), "{trunks:?}");
        heads.iter().for_each(|&k| theta[k] = 0.0);
        tune_head(&net, &mut theta, &xs, &y, None, 0.0).unwrap();
        for k in heads {
            assert!(
                (theta[k] - truth[k]).abs() < 1e-8,
                "{trunks:?} {k}: {} vs {}",
                theta[k],
                truth[k]
            );
        }
    }
}

/// Adam plus head tuning fits a smooth function to well under a percent.
#[test]
fn fit_reaches_small_error() {
    let net = net_16x2(2);
    let mut theta = net.init(1);
    let target = |pts: &[f64], out: &mut [f64]| {
        for (x, o) in pts.chunks_exact(2).zip(out.iter_mut()) {
            *o = (1.0 - x[0] * x[0]) * (1.0 - x[1] * x[1]) * (0.5 + x[0] * 0.3 - x[1] * x[1]);
        }
    };
    let cfg = FitConfig {
        iters: 1000,
        batch: 256,
        lr: 1e-2,
        head_points: 4000,
        eval_points: 2000,
        ..Default::default()
    };
    let rep = fit(&net, &mut theta, &target, &Measure::Uniform, &cfg, 7).unwrap();
    assert!(rep.rel_error < 1e-2, "{rep:?}");
    assert!(rep.rel_error <= rep.rel_error_adam * 1.0001, "{rep:?}");
    let again = {
        let mut t2 = net.init(1);
        fit(&net, &mut t2, &target, &Measure::Uniform, &cfg, 7).unwrap();
        t2
    };
    assert_eq!(theta, again, "fits are reproducible from the seed");
}
