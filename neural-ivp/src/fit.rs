//! Fitting the network to a function: Adam on fresh points every iteration (the optimiser of
//! `prdp-nn`), then head tuning, i.e. the last layer solved exactly as a ridge regression over
//! many points. Points come from a [`Measure`] (uniform in the paper) and every sum carries
//! their importance weights, so the objective is always the uniform-measure L2 error.

use faer::linalg::solvers::Solve;
use faer::{Mat, Side};
use prdp_nn::{Optimizer, Schedule};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::composite::Forward;
use crate::error::{IvpError, Result, at_least, check_shape, non_negative, positive};
use crate::gemm::{gemm, rm, rm_mut};
use crate::network::Network;
use crate::reference::relative_l2;
use crate::sampling::{Measure, scale_rows};
use crate::tangent::TangentWorkspace;

/// A target function: writes the m target values of `n` points (n × d row-major) into `out`
/// (n × m row-major).
pub type Target<'a> = dyn Fn(&[f64], &mut [f64]) + Sync + 'a;

/// Settings of a fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FitConfig {
    /// Adam iterations (the paper: 50 000).
    pub iters: usize,
    /// Fresh points per iteration.
    pub batch: usize,
    /// Initial learning rate (the paper: 1e-3).
    pub lr: f64,
    /// The learning rate decays by a cosine to `lr·final_lr_fraction`.
    pub final_lr_fraction: f64,
    /// Points of the head-tuning least-squares problem (0 disables head tuning).
    pub head_points: usize,
    /// Ridge parameter of head tuning, relative to the mean diagonal of ΦᵀΦ.
    pub ridge: f64,
    /// Points of the final relative-error estimate.
    pub eval_points: usize,
}

impl Default for FitConfig {
    fn default() -> Self {
        Self {
            iters: 5_000,
            batch: 1_000,
            lr: 1e-3,
            final_lr_fraction: 1e-2,
            head_points: 20_000,
            ridge: 1e-10,
            eval_points: 10_000,
        }
    }
}

impl FitConfig {
    /// Checks every field.
    ///
    /// # Errors
    /// [`IvpError::Config`] naming the key under `prefix`.
    pub fn validate(&self, prefix: &str) -> Result<()> {
        at_least(&format!("{prefix}.batch"), self.batch, 1)?;
        positive(&format!("{prefix}.lr"), self.lr)?;
        if !(self.final_lr_fraction > 0.0 && self.final_lr_fraction <= 1.0) {
            return Err(crate::error::config_err(
                &format!("{prefix}.final_lr_fraction"),
                self.final_lr_fraction,
                "in (0, 1]",
            ));
        }
        non_negative(&format!("{prefix}.ridge"), self.ridge)?;
        at_least(&format!("{prefix}.eval_points"), self.eval_points, 1)
    }
}

/// What a fit achieved.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FitReport {
    /// Adam iterations run.
    pub iters: usize,
    /// Mean squared error of the last Adam batch.
    pub final_loss: f64,
    /// Relative L2 error ‖u − target‖/‖target‖ on fresh points after Adam.
    pub rel_error_adam: f64,
    /// The same after head tuning (equal to `rel_error_adam` without it).
    pub rel_error: f64,
    /// Wall time in seconds.
    pub seconds: f64,
}

/// Fits θ (in place) to `target` on [−1, 1]^d: `cfg.iters` Adam steps on fresh points of
/// `measure` (stream seeded with `seed`), then head tuning on `cfg.head_points` points
/// (seed + 1), then the relative error on `cfg.eval_points` points (seed + 2); all
/// importance-weighted to the uniform measure.
///
/// # Errors
/// Shape and configuration errors (including a bad `measure`); [`IvpError::NonFinite`] if the
/// loss diverges;
/// [`IvpError::Factorization`] if the ridge system cannot be factorised.
///
/// # Reference
/// Finzi et al. (ICLR 2023), Algorithm 1 (`FitFunction`) and section 4.1 (head tuning, eq. 7).
pub fn fit(
    net: &Network,
    theta: &mut [f64],
    target: &Target<'_>,
    measure: &Measure,
    cfg: &FitConfig,
    seed: u64,
) -> Result<FitReport> {
    cfg.validate("fit")?;
    measure.validate()?;
    net.check_params(theta)?;
    let start = std::time::Instant::now();
    let (d, m, p) = (net.dim(), net.outputs(), net.num_params());
    let opt = Optimizer::adam(Schedule::CosineDecay {
        init_value: cfg.lr,
        decay_steps: cfg.iters.max(1) as u64,
        alpha: cfg.final_lr_fraction,
        exponent: 1.0,
    });
    let mut state = opt.init::<f64>(p);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut points = vec![0.0; cfg.batch * d];
    let mut weights = vec![0.0; cfg.batch];
    let mut y = vec![0.0; cfg.batch * m];
    let mut cot = vec![0.0; cfg.batch * m];
    let mut grad = vec![0.0; p];
    let mut fwd = Forward::new();
    let mut ws = TangentWorkspace::new();
    let mut final_loss = f64::NAN;
    let scale = 2.0 / (cfg.batch * m) as f64;
    for it in 0..cfg.iters {
        measure.draw(&mut rng, &mut points, &mut weights);
        target(&points, &mut y);
        net.forward(theta, &points, &mut fwd)?;
        let mut loss = 0.0;
        for (((cs, us), ts), &w) in cot
            .chunks_exact_mut(m)
            .zip(fwd.output().chunks_exact(m))
            .zip(y.chunks_exact(m))
            .zip(&weights)
        {
            for ((c, &u), &t) in cs.iter_mut().zip(us).zip(ts) {
                let r = u - t;
                loss += w * r * r;
                *c = scale * w * r;
            }
        }
        final_loss = loss / (cfg.batch * m) as f64;
        if !final_loss.is_finite() {
            return Err(IvpError::NonFinite {
                what: "fit loss".into(),
                time: f64::NAN,
                step: it,
                index: 0,
            });
        }
        net.vjp(theta, &fwd, &cot, &mut grad, &mut ws)?;
        opt.update(theta, &grad, &mut state)?;
    }
    let rel_error_adam = relative_error(net, theta, target, measure, cfg.eval_points, seed + 2)?;
    let rel_error = if cfg.head_points > 0 {
        let mut hp = vec![0.0; cfg.head_points * d];
        let mut hw = vec![0.0; cfg.head_points];
        measure.draw(&mut ChaCha8Rng::seed_from_u64(seed + 1), &mut hp, &mut hw);
        let mut hy = vec![0.0; cfg.head_points * m];
        target(&hp, &mut hy);
        let hw = (!measure.is_uniform()).then_some(hw.as_slice());
        tune_head(net, theta, &hp, &hy, hw, cfg.ridge)?;
        relative_error(net, theta, target, measure, cfg.eval_points, seed + 2)?
    } else {
        rel_error_adam
    };
    Ok(FitReport {
        iters: cfg.iters,
        final_loss,
        rel_error_adam,
        rel_error,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// ‖u_θ − target‖ / ‖target‖ over `n` points of `measure` drawn with `seed` (sums weighted
/// by the importance weights).
///
/// # Errors
/// Shape errors, a bad `measure`, `n` = 0.
pub fn relative_error(
    net: &Network,
    theta: &[f64],
    target: &Target<'_>,
    measure: &Measure,
    n: usize,
    seed: u64,
) -> Result<f64> {
    measure.validate()?;
    crate::error::at_least("relative_error points", n, 1)?;
    let (d, m) = (net.dim(), net.outputs());
    let mut pts = vec![0.0; n * d];
    let mut w = vec![0.0; n];
    measure.draw(&mut ChaCha8Rng::seed_from_u64(seed), &mut pts, &mut w);
    let mut y = vec![0.0; n * m];
    target(&pts, &mut y);
    let mut u = vec![0.0; n * m];
    net.eval(theta, &pts, &mut u)?;
    if !measure.is_uniform() {
        w.iter_mut().for_each(|v| *v = v.sqrt());
        scale_rows(&mut u, &w);
        scale_rows(&mut y, &w);
    }
    Ok(relative_l2(&u, &y))
}

/// Head tuning: with the features Φ(x) = B(x)·[φ_θ(x), 1] of each trunk's last hidden layer
/// fixed, solves the ridge regression (ΦᵀWΦ + λI) w_o = ΦᵀW y_o for every output o of the
/// trunk and writes w_o into the head's weights and bias. W holds the importance `weights` of
/// the points (identity if `None`); λ = `ridge`·tr(ΦᵀWΦ)/(width + 1).
///
/// # Errors
/// Shape errors; [`IvpError::Factorization`] if the system is not positive definite.
///
/// # Reference
/// Finzi et al. (ICLR 2023), eq. 7. Unlike the public code (scikit-learn `Ridge` with a
/// fitted intercept that is then discarded), the bias is part of the least-squares problem.
pub fn tune_head(
    net: &Network,
    theta: &mut [f64],
    points: &[f64],
    targets: &[f64],
    weights: Option<&[f64]>,
    ridge: f64,
) -> Result<()> {
    net.check_params(theta)?;
    let n = net.check_points(points)?;
    let m = net.outputs();
    check_shape("head-tuning targets", n * m, targets.len())?;
    if let Some(ws) = weights {
        check_shape("head-tuning weights", n, ws.len())?;
        if let Some(i) = ws.iter().position(|&v| !(v.is_finite() && v >= 0.0)) {
            return Err(crate::error::config_err(
                &format!("head-tuning weights[{i}]"),
                ws[i],
                "finite and non-negative",
            ));
        }
    }
    let k = net.width() + 1;
    let mut systems: Vec<(Vec<f64>, Vec<f64>)> = (0..net.trunks())
        .map(|t| (vec![0.0; k * k], vec![0.0; k * net.trunk_outputs(t).len()]))
        .collect();
    let (mut s, mut yw, mut phi, mut yt) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let chunk = 8192;
    let mut fwd = Forward::new();
    let d = net.dim();
    for start in (0..n).step_by(chunk) {
        let end = (start + chunk).min(n);
        let nc = end - start;
        net.forward(theta, &points[start * d..end * d], &mut fwd)?;
        let mut y = &targets[start * m..end * m];
        if let Some(ws) = weights {
            s.clear();
            s.extend(ws[start..end].iter().map(|v| v.sqrt()));
            fwd.scale_rows(&s)?;
            yw.clear();
            yw.extend_from_slice(y);
            scale_rows(&mut yw, &s);
            y = &yw;
        }
        for (t, (gram, rhs)) in systems.iter_mut().enumerate() {
            let o = net.trunk_outputs(t);
            phi.resize(nc * k, 0.0);
            for ((row, feat), &b) in phi
                .chunks_exact_mut(k)
                .zip(fwd.features(t).chunks_exact(k - 1))
                .zip(fwd.bump())
            {
                for (o, &f) in row.iter_mut().zip(feat) {
                    *o = b * f;
                }
                row[k - 1] = b;
            }
            yt.clear();
            yt.extend(y.chunks_exact(m).flat_map(|r| &r[o.clone()]));
            gemm(
                rm_mut(gram, k, k),
                faer::Accum::Add,
                rm(&phi, nc, k).transpose(),
                rm(&phi, nc, k),
            );
            gemm(
                rm_mut(rhs, k, o.len()),
                faer::Accum::Add,
                rm(&phi, nc, k).transpose(),
                rm(&yt, nc, o.len()),
            );
        }
    }
    for (t, (gram, rhs)) in systems.iter().enumerate() {
        let mt = net.trunk_outputs(t).len();
        let trace: f64 = (0..k).map(|i| gram[i * k + i]).sum();
        let lambda = ridge * trace / k as f64;
        let a = Mat::<f64>::from_fn(k, k, |i, j| {
            gram[i * k + j] + if i == j { lambda } else { 0.0 }
        });
        let chol = a.llt(Side::Lower).map_err(|e| IvpError::Factorization {
            what: format!("Cholesky of the {k}x{k} head-tuning Gram matrix of trunk {t}"),
            detail: format!("{e:?} (increase fit.ridge)"),
        })?;
        let b = Mat::<f64>::from_fn(k, mt, |i, j| rhs[i * mt + j]);
        let sol = chol.solve(&b);
        let (wr, br) = net.head(t);
        for o in 0..mt {
            for c in 0..k - 1 {
                theta[wr.start + o * (k - 1) + c] = sol[(c, o)];
            }
            theta[br.start + o] = sol[(k - 1, o)];
        }
    }
    Ok(())
}
