//! Shared helpers: seeded random vectors, finite-difference gradient checks, naive
//! convolution.

use prdp_nn::{Architecture, LayerConfig, Model, SequentialConfig};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Uniform entries in [-1, 1) from a seeded stream.
pub fn rand_vec(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| rng.random_range(-1.0..1.0)).collect()
}

pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// ⟨a, b⟩ and Σ|aᵢbᵢ| (the scale of its rounding error).
pub fn dot_and_scale(a: &[f64], b: &[f64]) -> (f64, f64) {
    (dot(a, b), a.iter().zip(b).map(|(x, y)| (x * y).abs()).sum())
}

/// A sequential model on samples of `shape`.
pub fn sequential(shape: &[usize], layers: Vec<LayerConfig>) -> Model<f64> {
    Model::new(Architecture::Sequential(SequentialConfig {
        input_shape: shape.to_vec(),
        layers,
        init: Default::default(),
    }))
    .expect("valid sequential model")
}

/// Relative tolerance of the analytic gradient against central differences.
const TOL: f64 = 1e-7;

/// Checks ⟨∂L/∂z, v⟩ against the central difference (L(z + hv) − L(z − hv)) / 2h along random
/// directions v, where `eval(z)` returns L and the magnitude of the terms it sums. The tolerance
/// is `TOL` relative to the directional derivative (and to Σ|∂L/∂zᵢ vᵢ|, against cancellation)
/// plus the rounding error of the quotient, a few ulps of that magnitude divided by h. A ReLU kink within reach shows as quotients at h
/// and h/2 that disagree; h then shrinks a hundredfold (twice at most).
pub fn check_directional(
    what: &str,
    z: &[f64],
    grad: &[f64],
    seed: u64,
    directions: u64,
    mut eval: impl FnMut(&[f64]) -> (f64, f64),
) {
    for d in 0..directions {
        let v = rand_vec(z.len(), seed ^ (0x9e37 + d));
        let analytic = dot(grad, &v);
        let scale: f64 = grad.iter().zip(&v).map(|(g, e)| (g * e).abs()).sum();
        let mut checked = false;
        for h in [1e-5, 1e-7, 1e-9] {
            let mut magnitude = 0.0f64;
            let mut quotient = |h: f64| {
                let plus: Vec<f64> = z.iter().zip(&v).map(|(a, b)| a + h * b).collect();
                let minus: Vec<f64> = z.iter().zip(&v).map(|(a, b)| a - h * b).collect();
                let ((lp, sp), (lm, sm)) = (eval(&plus), eval(&minus));
                magnitude = magnitude.max(sp).max(sm);
                (lp - lm) / (2.0 * h)
            };
            let (fd, fd_half) = (quotient(h), quotient(h / 2.0));
            let rounding = 16.0 * f64::EPSILON * magnitude / h;
            if (fd - fd_half).abs() > 1e-8 * scale + 2.0 * rounding {
                continue;
            }
            let err = (fd_half - analytic).abs();
            assert!(
                err <= TOL * (analytic.abs() + scale) + rounding,
                "{what}: directional derivative {analytic:e} vs central difference {fd_half:e} (h = {h:e}, error {err:e}, scale {scale:e}, rounding {rounding:e})"
            );
            checked = true;
            break;
        }
        assert!(
            checked,
            "{what}: an activation kink stays within reach of every step size along direction {d}"
        );
    }
}

/// Checks the parameter and input gradients of `model` on a random batch against central
/// differences of L = ⟨f(θ, x), r⟩ for a random cotangent r. Also checks that `backward`
/// accumulates and `backward_replace` overwrites.
pub fn check_model_gradients(model: &Model<f64>, batch: usize, seed: u64) {
    let params = model.init(seed);
    let x = rand_vec(batch * model.input_size(), seed.wrapping_add(1));
    let r = rand_vec(batch * model.output_size(), seed.wrapping_add(2));
    let mut ws = model.workspace(batch).unwrap();
    let mut probe = model.workspace(batch).unwrap();
    model.forward(&params, &x, batch, &mut ws).unwrap();
    let mut grad = vec![0.0; model.num_params()];
    let mut x_bar = vec![0.0; x.len()];
    model
        .backward(&params, &mut ws, &r, Some(&mut x_bar), &mut grad)
        .unwrap();

    check_directional("parameter gradient", &params, &grad, seed, 3, |p| {
        dot_and_scale(model.forward(p, &x, batch, &mut probe).unwrap(), &r)
    });
    check_directional("input gradient", &x, &x_bar, seed.wrapping_add(7), 3, |x| {
        dot_and_scale(model.forward(&params, x, batch, &mut probe).unwrap(), &r)
    });

    // Forward mode agrees with reverse mode: ⟨J_θ v + J_x u, r⟩ = ⟨v, J_θᵀ r⟩ + ⟨u, J_xᵀ r⟩.
    let v = rand_vec(params.len(), seed.wrapping_add(3));
    let u = rand_vec(x.len(), seed.wrapping_add(4));
    let mut out_dot = vec![f64::NAN; r.len()];
    for input_tangent in [Some(u.as_slice()), None] {
        model
            .jvp(&params, &mut ws, &v, input_tangent, &mut out_dot)
            .unwrap();
        let forward = dot(&out_dot, &r);
        let mut reverse = dot(&grad, &v);
        let mut scale: f64 = grad.iter().zip(&v).map(|(a, b)| (a * b).abs()).sum();
        if input_tangent.is_some() {
            reverse += dot(&x_bar, &u);
            scale += x_bar
                .iter()
                .zip(&u)
                .map(|(a, b)| (a * b).abs())
                .sum::<f64>();
        }
        scale += out_dot
            .iter()
            .zip(&r)
            .map(|(a, b)| (a * b).abs())
            .sum::<f64>();
        assert!(
            (forward - reverse).abs() <= 1e-12 * scale,
            "jvp {forward:e} vs vjp {reverse:e} (input tangent: {})",
            input_tangent.is_some()
        );
    }

    // A second backward (without input gradient) adds the same gradient again.
    let mut twice = grad.clone();
    model
        .backward(&params, &mut ws, &r, None, &mut twice)
        .unwrap();
    for (a, b) in twice.iter().zip(&grad) {
        assert!(
            (a - 2.0 * b).abs() <= 1e-12 * (1.0 + b.abs()),
            "accumulate: {a} vs 2 × {b}"
        );
    }
    // backward_replace overwrites whatever was there.
    let mut fresh = vec![f64::NAN; model.num_params()];
    model
        .backward_replace(&params, &mut ws, &r, None, &mut fresh)
        .unwrap();
    for (a, b) in fresh.iter().zip(&grad) {
        assert!(
            (a - b).abs() <= 1e-12 * (1.0 + b.abs()),
            "replace: {a} vs {b}"
        );
    }
}

/// Reference "same" convolution by direct summation over `[cin, grid…]` samples with weight
/// `[cout, cin, k…]`, taps at offsets t − (k−1)/2, circular or zero padding.
#[allow(clippy::too_many_arguments)]
pub fn naive_conv(
    x: &[f64],
    cin: usize,
    grid: &[usize],
    w: &[f64],
    bias: Option<&[f64]>,
    cout: usize,
    k: usize,
    circular: bool,
) -> Vec<f64> {
    let d = grid.len();
    let n: usize = grid.iter().product();
    let taps = k.pow(d as u32);
    let lo = (k - 1) as isize / 2;
    let unravel = |mut i: usize, ext: &[usize]| {
        let mut idx = vec![0usize; ext.len()];
        for a in (0..ext.len()).rev() {
            idx[a] = i % ext[a];
            i /= ext[a];
        }
        idx
    };
    let kext = vec![k; d];
    let mut y = vec![0.0; cout * n];
    for co in 0..cout {
        for p in 0..n {
            let pos = unravel(p, grid);
            let mut acc = bias.map_or(0.0, |b| b[co]);
            for ci in 0..cin {
                'tap: for t in 0..taps {
                    let tap = unravel(t, &kext);
                    let mut src = 0usize;
                    for a in 0..d {
                        let mut s = pos[a] as isize + tap[a] as isize - lo;
                        let g = grid[a] as isize;
                        if s < 0 || s >= g {
                            if !circular {
                                continue 'tap;
                            }
                            s = s.rem_euclid(g);
                        }
                        src = src * grid[a] + s as usize;
                    }
                    acc += w[(co * cin + ci) * taps + t] * x[ci * n + src];
                }
            }
            y[co * n + p] = acc;
        }
    }
    y
}
