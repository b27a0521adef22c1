//! Fitting the network to a function: Adam on fresh points every iteration (the optimiser of
//! `prdp-nn`), then head tuning, i.e. the last layer solved exactly as a ridge regression over
//! many points. Points come from a [`Measure`] (uniform in the paper) and every sum carries
//! their importance weights, so the objective is always the uniform-measure L2 error.
//! With [`FitConfig::normalize_outputs`] outputs of different magnitude are fitted in units of
//! their own size.

use faer::linalg::solvers::Solve;
use faer::{Mat, Side};
use prdp_nn::{LrSchedule, Optimizer};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::composite::Forward;
use crate::composite::TangentWorkspace;
use crate::error::{IvpError, Result, at_least, check_len, non_negative, positive};
use crate::network::Network;
use crate::sampling::{Measure, scale_rows};
use prdp_nn::gemm::{gemm, rm, rm_mut};

/// A target function: writes the m target values of `n` points (n × d row-major) into `out`
/// (n × m row-major).
pub type Target<'a> = dyn Fn(&[f64], &mut [f64]) + Sync + 'a;

/// Mean squares below this fraction of the average are raised to it when outputs are
/// normalised ([`FitConfig::normalize_outputs`]).
const MEAN_SQUARE_FLOOR: f64 = 1e-6;

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
    /// Points of the final relative-error estimate (and of the output scales).
    pub eval_points: usize,
    /// Fit each output k in units of s_k = (its mean square / the outputs' average mean
    /// square)^½, estimated once on `eval_points` points: Adam and head tuning fit y_k/s_k,
    /// then the rows of the head are multiplied by s_k. Adam's steps have a fixed size in
    /// parameter space, so without this an output 20× smaller than the others (u beside
    /// v = u_t in the 3D wave at a = 200) is fitted 20× less accurately, and through a shared
    /// trunk it also carries 400× less weight. s = 1 for one output, so the fit is unchanged;
    /// mean squares below 10⁻⁶ of the average are raised to it. The reference code fits all
    /// outputs with one mean squared error (`false`).
    pub normalize_outputs: bool,
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
            normalize_outputs: true,
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitReport {
    /// Adam iterations run.
    pub iters: usize,
    /// Mean squared error of the last Adam batch (in the fit's units, see
    /// [`FitConfig::normalize_outputs`]).
    pub final_loss: f64,
    /// Relative L2 error ‖u − target‖/‖target‖ over all outputs on fresh points after Adam.
    pub rel_error_adam: f64,
    /// The same after head tuning (equal to `rel_error_adam` without it).
    pub rel_error: f64,
    /// Each output's relative L2 error ‖u_k − target_k‖/‖target_k‖ after head tuning.
    #[serde(default)]
    pub rel_error_outputs: Vec<f64>,
    /// Wall time in seconds.
    pub seconds: f64,
}

/// Fits θ (in place) to `target` on [−1, 1]^d: `cfg.iters` Adam steps on fresh points of
/// `measure` (stream seeded with `seed`), then head tuning on `cfg.head_points` points
/// (seed + 1), then the relative error on `cfg.eval_points` points (seed + 2); all
/// importance-weighted to the uniform measure. With [`FitConfig::normalize_outputs`] the fit
/// runs in each output's units (scales from seed + 3) and the starting θ is taken as already
/// in those units (a fresh initialisation is of order one in them).
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
    let scales = output_scales(net, target, measure, cfg, seed + 3)?;
    let rescale = scales.iter().any(|&s| s != 1.0);
    let scaled = |pts: &[f64], out: &mut [f64]| {
        target(pts, out);
        if rescale {
            for row in out.chunks_exact_mut(m) {
                row.iter_mut().zip(&scales).for_each(|(v, s)| *v /= s);
            }
        }
    };
    let opt = Optimizer::adam(LrSchedule::CosineDecay {
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
        scaled(&points, &mut y);
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
    let errors = |theta: &[f64]| -> Result<ErrorSums> {
        let mut unscaled = theta.to_vec();
        scale_heads(net, &mut unscaled, &scales);
        ErrorSums::new(net, &unscaled, target, measure, cfg.eval_points, seed + 2)
    };
    let adam = errors(theta)?;
    let tuned = if cfg.head_points > 0 {
        let mut hp = vec![0.0; cfg.head_points * d];
        let mut hw = vec![0.0; cfg.head_points];
        measure.draw(&mut ChaCha8Rng::seed_from_u64(seed + 1), &mut hp, &mut hw);
        let mut hy = vec![0.0; cfg.head_points * m];
        scaled(&hp, &mut hy);
        let hw = (!measure.is_uniform()).then_some(hw.as_slice());
        tune_head(net, theta, &hp, &hy, hw, cfg.ridge)?;
        errors(theta)?
    } else {
        adam.clone()
    };
    scale_heads(net, theta, &scales);
    Ok(FitReport {
        iters: cfg.iters,
        final_loss,
        rel_error_adam: adam.combined(),
        rel_error: tuned.combined(),
        rel_error_outputs: tuned.per_output(),
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// The output scales s_k of [`FitConfig::normalize_outputs`] (all 1 without it or for one
/// output).
fn output_scales(
    net: &Network,
    target: &Target<'_>,
    measure: &Measure,
    cfg: &FitConfig,
    seed: u64,
) -> Result<Vec<f64>> {
    let (d, m) = (net.dim(), net.outputs());
    if !cfg.normalize_outputs || m == 1 {
        return Ok(vec![1.0; m]);
    }
    let n = cfg.eval_points;
    let mut pts = vec![0.0; n * d];
    let mut w = vec![0.0; n];
    measure.draw(&mut ChaCha8Rng::seed_from_u64(seed), &mut pts, &mut w);
    let mut y = vec![0.0; n * m];
    target(&pts, &mut y);
    let mut mean_square = vec![0.0; m];
    for (ys, &wi) in y.chunks_exact(m).zip(&w) {
        for (s, &v) in mean_square.iter_mut().zip(ys) {
            *s += wi * v * v;
        }
    }
    let average = mean_square.iter().sum::<f64>() / m as f64;
    if !(average.is_finite() && average > 0.0) {
        return Err(IvpError::NonFinite {
            what: format!("mean square of the fit target ({average:e})"),
            time: f64::NAN,
            step: 0,
            index: 0,
        });
    }
    Ok(mean_square
        .iter()
        .map(|&s| (s.max(MEAN_SQUARE_FLOOR * average) / average).sqrt())
        .collect())
}

/// Multiplies the head rows of every output by its scale: θ fitted in the fit's units becomes
/// θ of the target.
fn scale_heads(net: &Network, theta: &mut [f64], scales: &[f64]) {
    if scales.iter().all(|&s| s == 1.0) {
        return;
    }
    let width = net.width();
    for t in 0..net.trunks() {
        let (w, b) = net.head(t);
        for (o, k) in net.trunk_outputs(t).enumerate() {
            let f = scales[k];
            theta[w.start + o * width..w.start + (o + 1) * width]
                .iter_mut()
                .for_each(|v| *v *= f);
            theta[b.start + o] *= f;
        }
    }
}

/// Importance-weighted sums Σ(u_k − target_k)² and Σ target_k² of each output over the points
/// of an error estimate.
#[derive(Clone)]
struct ErrorSums {
    squared_error: Vec<f64>,
    squared_target: Vec<f64>,
}

impl ErrorSums {
    fn new(
        net: &Network,
        theta: &[f64],
        target: &Target<'_>,
        measure: &Measure,
        n: usize,
        seed: u64,
    ) -> Result<Self> {
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
        let uniform = measure.is_uniform();
        let mut sums = Self {
            squared_error: vec![0.0; m],
            squared_target: vec![0.0; m],
        };
        for ((us, ys), &wi) in u.chunks_exact(m).zip(y.chunks_exact(m)).zip(&w) {
            let wi = if uniform { 1.0 } else { wi };
            for (k, (&a, &b)) in us.iter().zip(ys).enumerate() {
                sums.squared_error[k] += wi * (a - b) * (a - b);
                sums.squared_target[k] += wi * b * b;
            }
        }
        Ok(sums)
    }

    /// ‖u − target‖/‖target‖ over all outputs.
    fn combined(&self) -> f64 {
        ratio(
            self.squared_error.iter().sum(),
            self.squared_target.iter().sum(),
        )
    }

    /// Each output's relative error.
    fn per_output(&self) -> Vec<f64> {
        self.squared_error
            .iter()
            .zip(&self.squared_target)
            .map(|(&e, &t)| ratio(e, t))
            .collect()
    }
}

/// √(e/t), or √e where the target vanishes (as [`crate::reference::relative_l2`]).
fn ratio(e: f64, t: f64) -> f64 {
    if t > 0.0 { (e / t).sqrt() } else { e.sqrt() }
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
    Ok(ErrorSums::new(net, theta, target, measure, n, seed)?.combined())
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
    check_len("head-tuning targets", n * m, targets.len())?;
    if let Some(ws) = weights {
        check_len("head-tuning weights", n, ws.len())?;
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
                1,
            );
            gemm(
                rm_mut(rhs, k, o.len()),
                faer::Accum::Add,
                rm(&phi, nc, k).transpose(),
                rm(&yt, nc, o.len()),
                1,
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
