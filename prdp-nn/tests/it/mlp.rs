//! `Mlp`: its layout and values against `Model`, its Jacobian products against central
//! differences, reverse mode, `Model::jvp` and each other, its jets against central
//! differences, bit-identity across thread counts, and its errors.

use prdp_nn::{
    Activation, Architecture, Derivatives, Init, JacobianBlock, Mlp, MlpConfig, MlpForward,
    MlpWorkspace, Model, NnError, hessian_index,
};
use prdp_testing::{check_directional, dot, dot_and_scale, rel_err, vector};
use proptest::prelude::*;

fn config(inputs: usize, outputs: usize, width: usize, depth: usize) -> MlpConfig {
    MlpConfig {
        in_features: inputs,
        out_features: outputs,
        width,
        depth,
        activation: Activation::Swish,
        final_activation: None,
        bias: true,
        init: Init::TruncatedNormal,
    }
}

/// A network, its parameters and a batch of rows with row factors in [0.5, 1.5).
struct Case {
    mlp: Mlp,
    theta: Vec<f64>,
    x: Vec<f64>,
    s: Vec<f64>,
}

impl Case {
    fn new(cfg: &MlpConfig, n: usize, seed: u64) -> Self {
        let mlp = Mlp::new(cfg).unwrap();
        let theta = mlp.init(seed);
        let x = vector(seed + 1, n * cfg.in_features);
        let s = vector(seed + 2, n).iter().map(|v| 1.0 + 0.5 * v).collect();
        Self { mlp, theta, x, s }
    }

    fn n(&self) -> usize {
        self.s.len()
    }

    /// The forward cache at parameters `theta` and inputs `x`.
    fn forward_at(&self, theta: &[f64], x: &[f64]) -> MlpForward {
        let mut fwd = MlpForward::new();
        fwd.input_mut(self.n(), self.mlp.inputs())
            .copy_from_slice(x);
        fwd.scale_mut().copy_from_slice(&self.s);
        self.mlp.forward(theta, &mut fwd).unwrap();
        fwd
    }

    fn forward(&self) -> MlpForward {
        self.forward_at(&self.theta, &self.x)
    }
}

/// Same layout, initialisation and tensors as the `Model` of the config; the same values up
/// to the activation's exponential (`fast_exp`, a few ulp).
#[test]
fn mlp_is_the_model_of_its_config() {
    let cfg = config(3, 2, 12, 2);
    let model = Model::<f64>::new(Architecture::Mlp(cfg.clone())).unwrap();
    let case = Case::new(&cfg, 7, 1);
    assert_eq!(case.theta, model.init(1));
    assert_eq!(case.mlp.views(), model.views());
    let (w, b) = case.mlp.head();
    assert_eq!(w, model.view("layers.2.weight").unwrap().range());
    assert_eq!(b, model.view("layers.2.bias").unwrap().range());
    let mut ws = model.workspace(7).unwrap();
    let expected: Vec<f64> = model
        .forward(&case.theta, &case.x, 7, &mut ws)
        .unwrap()
        .chunks_exact(2)
        .zip(&case.s)
        .flat_map(|(u, s)| u.iter().map(move |v| s * v))
        .collect();
    let got = case.forward().output().to_vec();
    assert!(rel_err(&got, &expected) < 1e-14, "{got:?} vs {expected:?}");
    assert_eq!(case.forward().features().len(), 7 * 12);
}

/// Jᵀ w is the gradient of ⟨u(θ), w⟩ (central differences), and J v agrees with the
/// independent forward mode of `Model::jvp`.
#[test]
fn vjp_is_the_gradient_and_jvp_the_model_s() {
    let cfg = config(4, 3, 10, 3);
    let case = Case::new(&cfg, 9, 5);
    let fwd = case.forward();
    let w = vector(11, 9 * 3);
    let mut grad = vec![0.0; case.mlp.num_params()];
    let mut ws = MlpWorkspace::new();
    case.mlp
        .vjp(&case.theta, &fwd, &w, &mut grad, &mut ws)
        .unwrap();
    check_directional("Mlp::vjp", &case.theta, &grad, 3, 4, |t| {
        dot_and_scale(case.forward_at(t, &case.x).output(), &w)
    });

    let model = Model::<f64>::new(Architecture::Mlp(cfg)).unwrap();
    let mut mws = model.workspace(9).unwrap();
    model.forward(&case.theta, &case.x, 9, &mut mws).unwrap();
    let v = vector(12, case.mlp.num_params());
    let mut model_dot = vec![0.0; 27];
    model
        .jvp(&case.theta, &mut mws, &v, None, &mut model_dot)
        .unwrap();
    let scaled: Vec<f64> = model_dot
        .chunks_exact(3)
        .zip(&case.s)
        .flat_map(|(u, s)| u.iter().map(move |d| s * d))
        .collect();
    let mut jv = vec![0.0; 27];
    case.mlp
        .jvp_block(&case.theta, &fwd, &v, 1, &mut jv, &mut ws)
        .unwrap();
    assert!(rel_err(&jv, &scaled) < 1e-13);
}

/// Block products (every column) equal the single-tangent ones, ⟨J V, W⟩ = ⟨V, Jᵀ W⟩, the
/// Gauss–Newton block is Jᵀ(J V) and the dense Jacobian's columns are J eⱼ.
fn check_products(cfg: &MlpConfig, n: usize, r: usize, seed: u64) {
    let case = Case::new(cfg, n, seed);
    let (p, m) = (case.mlp.num_params(), cfg.out_features);
    let fwd = case.forward();
    let mut ws = MlpWorkspace::new();
    let v = vector(seed + 3, r * p);
    let w = vector(seed + 4, r * n * m);
    let (mut jv, mut jtw, mut gn) = (vec![0.0; r * n * m], vec![0.0; r * p], vec![0.0; r * p]);
    let mlp = &case.mlp;
    mlp.jvp_block(&case.theta, &fwd, &v, r, &mut jv, &mut ws)
        .unwrap();
    mlp.vjp_block(&case.theta, &fwd, &w, r, &mut jtw, &mut ws)
        .unwrap();
    mlp.gauss_newton_block(&case.theta, &fwd, &v, r, &mut gn, &mut ws)
        .unwrap();
    let (lhs, rhs) = (dot(&jv, &w), dot(&v, &jtw));
    let scale = jv.iter().zip(&w).map(|(a, b)| (a * b).abs()).sum::<f64>();
    assert!((lhs - rhs).abs() <= 1e-12 * scale, "{lhs} vs {rhs}");
    for c in 0..r {
        let (mut one, mut back) = (vec![0.0; n * m], vec![0.0; p]);
        mlp.jvp_block(
            &case.theta,
            &fwd,
            &v[c * p..(c + 1) * p],
            1,
            &mut one,
            &mut ws,
        )
        .unwrap();
        assert!(rel_err(&jv[c * n * m..(c + 1) * n * m], &one) < 1e-13);
        mlp.vjp(&case.theta, &fwd, &one, &mut back, &mut ws)
            .unwrap();
        assert!(rel_err(&gn[c * p..(c + 1) * p], &back) < 1e-12);
    }
    let mut jac = vec![0.0; n * m * p];
    let at = JacobianBlock {
        outputs: m,
        first_output: 0,
        columns: p,
        first_column: 0,
    };
    mlp.jacobian(&case.theta, &fwd, at, &mut jac).unwrap();
    for j in [0, p / 2, p - 1] {
        let mut e = vec![0.0; p];
        e[j] = 1.0;
        let mut col = vec![0.0; n * m];
        mlp.jvp_block(&case.theta, &fwd, &e, 1, &mut col, &mut ws)
            .unwrap();
        let dense: Vec<f64> = (0..n * m).map(|row| jac[row * p + j]).collect();
        assert!(rel_err(&dense, &col) < 1e-13, "Jacobian column {j}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn products_agree(
        inputs in 1usize..5, outputs in 1usize..4, width in 1usize..12, depth in 0usize..4,
        n in 1usize..300, r in 1usize..11, seed in 0u64..1000,
    ) {
        check_products(&config(inputs, outputs, width, depth), n, r, seed);
    }
}

/// Products over more rows than one chunk (every lane crosses chunk boundaries).
#[test]
fn products_across_chunks() {
    check_products(&config(3, 1, 300, 1), 40_000, 1, 9);
    check_products(&config(3, 2, 300, 1), 900, 40, 10);
}

/// The Gauss–Newton product keeps the output sensitivities of a forward pass in its workspace:
/// a new forward pass into the same cache (other parameters and rows), or other row factors,
/// must give the product of a fresh workspace, bit for bit.
#[test]
fn gauss_newton_follows_the_forward_pass() {
    for (outputs, depth) in [(1, 3), (2, 2), (1, 0)] {
        let cfg = config(3, outputs, 20, depth);
        let case = Case::new(&cfg, 300, 31);
        let p = case.mlp.num_params();
        let v = vector(32, 3 * p);
        let fresh = |fwd: &MlpForward, theta: &[f64], r: usize| {
            let mut gn = vec![0.0; r * p];
            case.mlp
                .gauss_newton_block(
                    theta,
                    fwd,
                    &v[..r * p],
                    r,
                    &mut gn,
                    &mut MlpWorkspace::new(),
                )
                .unwrap();
            gn
        };
        let mut ws = MlpWorkspace::new();
        let mut fwd = case.forward();
        let mut gn = vec![0.0; 3 * p];
        for r in [1, 3] {
            case.mlp
                .gauss_newton_block(&case.theta, &fwd, &v[..r * p], r, &mut gn[..r * p], &mut ws)
                .unwrap();
            assert_eq!(gn[..r * p], fresh(&fwd, &case.theta, r)[..]);
        }
        // a new forward pass at other parameters and rows, into the same cache
        let theta2 = case.mlp.init(77);
        let x2 = vector(78, case.x.len());
        fwd.input_mut(case.n(), case.mlp.inputs())
            .copy_from_slice(&x2);
        case.mlp.forward(&theta2, &mut fwd).unwrap();
        for r in [1, 3] {
            case.mlp
                .gauss_newton_block(&theta2, &fwd, &v[..r * p], r, &mut gn[..r * p], &mut ws)
                .unwrap();
            assert_eq!(gn[..r * p], fresh(&fwd, &theta2, r)[..]);
        }
        // other row factors after the forward pass scale the rows of J
        fwd.scale_mut().iter_mut().for_each(|s| *s *= 2.0);
        let before = gn[..p].to_vec();
        case.mlp
            .gauss_newton_block(&theta2, &fwd, &v[..p], 1, &mut gn[..p], &mut ws)
            .unwrap();
        let four: Vec<f64> = before.iter().map(|g| 4.0 * g).collect();
        assert!(rel_err(&gn[..p], &four) < 1e-13);
    }
}

/// Every product gives the same bits on 1, 2 and 3 threads.
#[test]
fn products_do_not_depend_on_threads() {
    let cfg = config(3, 2, 24, 2);
    let case = Case::new(&cfg, 1000, 21);
    let p = case.mlp.num_params();
    let fwd = case.forward();
    let v = vector(22, 5 * p);
    let w = vector(23, 1000 * 2);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut ws = MlpWorkspace::new();
            let (mut a, mut b, mut c) = (vec![0.0; 5 * 2000], vec![0.0; p], vec![0.0; 5 * p]);
            let mut d = vec![0.0; p];
            case.mlp
                .jvp_block(&case.theta, &fwd, &v, 5, &mut a, &mut ws)
                .unwrap();
            case.mlp
                .vjp(&case.theta, &fwd, &w, &mut b, &mut ws)
                .unwrap();
            case.mlp
                .gauss_newton_block(&case.theta, &fwd, &v, 5, &mut c, &mut ws)
                .unwrap();
            case.mlp
                .gauss_newton_block(&case.theta, &fwd, &v[..p], 1, &mut d, &mut ws)
                .unwrap();
            [a, b, c, d].map(|x| x.iter().map(|f| f.to_bits()).collect::<Vec<_>>())
        })
    };
    let one = run(1);
    assert_eq!(one, run(2));
    assert_eq!(one, run(3));
    // a layer wide enough (n·w² ≥ 2²⁶) for the single-tangent Gauss–Newton product to run
    // every GEMM over all rows, split across the threads
    let case = Case::new(&config(3, 1, 260, 2), 1000, 24);
    let p = case.mlp.num_params();
    let fwd = case.forward();
    let v = vector(25, p);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let mut gn = vec![0.0; p];
        pool.install(|| {
            case.mlp
                .gauss_newton_block(&case.theta, &fwd, &v, 1, &mut gn, &mut MlpWorkspace::new())
                .unwrap()
        });
        gn.iter().map(|f| f.to_bits()).collect::<Vec<_>>()
    };
    let one = run(1);
    assert_eq!(one, run(2));
    assert_eq!(one, run(3));
}

/// Input jets of `order` at the rows of `case` (the identity as the input's jets).
fn jets(case: &Case, d: usize, order: Derivatives) -> Vec<f64> {
    let (n, c) = (case.n(), order.components(d));
    let mut a = vec![0.0; case.mlp.jet_buffer_len(c, n)];
    for i in 0..n {
        for j in 0..d {
            a[i * d + j] = case.x[i * d + j];
            if order >= Derivatives::Gradient {
                a[((1 + j) * n + i) * d + j] = 1.0;
            }
        }
    }
    let mut z = Vec::new();
    case.mlp.jets(&case.theta, order, d, n, &mut a, &mut z);
    z.truncate(c * n * case.mlp.outputs());
    z
}

/// Values, gradients, Laplacians and Hessians of the jets against the forward pass and
/// central differences of the gradient jets.
#[test]
fn jets_are_the_input_derivatives() {
    let d = 3;
    let cfg = MlpConfig {
        activation: Activation::Tanh,
        ..config(d, 2, 9, 2)
    };
    let mut case = Case::new(&cfg, 5, 31);
    case.s = vec![1.0; 5];
    let (n, m) = (5, 2);
    let hess = jets(&case, d, Derivatives::Hessian);
    let lap = jets(&case, d, Derivatives::Laplacian);
    let value = case.forward().output().to_vec();
    let comp = |z: &[f64], c: usize, i: usize, o: usize| z[(c * n + i) * m + o];
    let h = 1e-5;
    for i in 0..n {
        for o in 0..m {
            assert!((comp(&hess, 0, i, o) - value[i * m + o]).abs() < 1e-14);
            let mut trace = 0.0;
            for j in 0..d {
                let shifted = |sign: f64| {
                    let mut x = case.x.clone();
                    x[i * d + j] += sign * h;
                    Case {
                        mlp: case.mlp.clone(),
                        theta: case.theta.clone(),
                        x,
                        s: case.s.clone(),
                    }
                };
                let (plus, minus) = (shifted(1.0), shifted(-1.0));
                let fd_value = (plus.forward().output()[i * m + o]
                    - minus.forward().output()[i * m + o])
                    / (2.0 * h);
                assert!((comp(&hess, 1 + j, i, o) - fd_value).abs() < 1e-8);
                let (gp, gm) = (
                    jets(&plus, d, Derivatives::Gradient),
                    jets(&minus, d, Derivatives::Gradient),
                );
                for k in 0..d {
                    let fd = (comp(&gp, 1 + k, i, o) - comp(&gm, 1 + k, i, o)) / (2.0 * h);
                    let exact = comp(&hess, 1 + d + hessian_index(d, j, k), i, o);
                    assert!((exact - fd).abs() < 1e-7, "H[{j}][{k}] {exact} vs {fd}");
                }
                trace += comp(&hess, 1 + d + hessian_index(d, j, j), i, o);
            }
            assert!((comp(&lap, 1 + d, i, o) - trace).abs() < 1e-13);
        }
    }
}

#[test]
fn bad_input_is_an_error() {
    let cfg = config(2, 1, 4, 1);
    let no_bias = Mlp::new(&MlpConfig {
        bias: false,
        ..cfg.clone()
    });
    assert!(matches!(no_bias, Err(NnError::Config { ref key, .. }) if key == "mlp.bias"));
    let final_act = Mlp::new(&MlpConfig {
        final_activation: Some(Activation::Tanh),
        ..cfg.clone()
    });
    assert!(
        matches!(final_act, Err(NnError::Config { ref key, .. }) if key == "mlp.final_activation")
    );
    let case = Case::new(&cfg, 3, 0);
    let mut fwd = MlpForward::new();
    fwd.input_mut(3, 5);
    assert!(matches!(
        case.mlp.forward(&case.theta, &mut fwd),
        Err(NnError::Length {
            expected: 6,
            got: 15,
            ..
        })
    ));
    assert!(matches!(
        case.mlp.forward(&case.theta[1..], &mut case.forward()),
        Err(NnError::Length { .. })
    ));
    let other = Mlp::new(&config(2, 1, 4, 2)).unwrap();
    let mut out = vec![0.0; 3];
    let v = vec![0.0; other.num_params()];
    let stale = other.jvp_block(
        &other.init(0),
        &case.forward(),
        &v,
        1,
        &mut out,
        &mut MlpWorkspace::new(),
    );
    assert!(matches!(stale, Err(NnError::WorkspaceMismatch { .. })));
    let p = case.mlp.num_params();
    let mut jac = vec![0.0; 3 * p];
    let outside = JacobianBlock {
        outputs: 1,
        first_output: 0,
        columns: p,
        first_column: 1,
    };
    let fwd = case.forward();
    assert!(matches!(
        case.mlp.jacobian(&case.theta, &fwd, outside, &mut jac),
        Err(NnError::Config { .. })
    ));
}
