//! Model gradient checks and a naive convolution, over the generic helpers of prdp-testing.

use prdp_nn::{Architecture, LayerConfig, Model, SequentialConfig};
pub use prdp_testing::{check_directional, dot, dot_and_scale, vector};

/// A sequential model on samples of `shape`.
pub fn sequential(shape: &[usize], layers: Vec<LayerConfig>) -> Model<f64> {
    Model::new(Architecture::Sequential(SequentialConfig {
        input_shape: shape.to_vec(),
        layers,
        init: Default::default(),
    }))
    .expect("valid sequential model")
}

/// Checks the parameter and input gradients of `model` on a random batch against central
/// differences of L = ⟨f(θ, x), r⟩ for a random cotangent r. Also checks that `backward`
/// accumulates and `backward_replace` overwrites.
pub fn check_model_gradients(model: &Model<f64>, batch: usize, seed: u64) {
    let params = model.init(seed);
    let x = vector(seed.wrapping_add(1), batch * model.input_size());
    let r = vector(seed.wrapping_add(2), batch * model.output_size());
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
    let v = vector(seed.wrapping_add(3), params.len());
    let u = vector(seed.wrapping_add(4), x.len());
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

/// The shape of a reference convolution: `cin` input and `cout` output channels on `grid`,
/// kernel size `k` per axis, circular or zero padding.
pub struct Conv<'g> {
    pub grid: &'g [usize],
    pub cin: usize,
    pub cout: usize,
    pub k: usize,
    pub circular: bool,
}

/// Reference "same" convolution by direct summation over `[cin, grid…]` samples with weight
/// `[cout, cin, k…]`, taps at offsets t − (k−1)/2, circular or zero padding.
pub fn naive_conv(x: &[f64], w: &[f64], bias: Option<&[f64]>, conv: &Conv<'_>) -> Vec<f64> {
    let Conv {
        grid,
        cin,
        cout,
        k,
        circular,
    } = *conv;
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
