//! One MLP of a [`Network`](crate::Network): the embedding, hidden layers and a linear head
//! for some of the network's outputs, with its parameters in a contiguous slice of θ. The
//! parameter derivatives (`tangent.rs`) and input jets (`jets.rs`) are written for a trunk; the
//! network composes its trunks.

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::error::Result;
use crate::network::NetworkConfig;

/// A dense layer: `n_out × n_in` weights at `w`, `n_out` biases at `b` (offsets within the
/// trunk's slice of θ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layer {
    pub n_in: usize,
    pub n_out: usize,
    pub w: usize,
    pub b: usize,
}

/// One MLP: embedding → `depth` hidden layers → head with `outputs` rows, times the Dirichlet
/// factor. Holds no parameters; every evaluation takes the trunk's slice of θ.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Trunk {
    config: NetworkConfig,
    dim: usize,
    outputs: usize,
    features: usize,
    /// Hidden layers followed by the head.
    pub layers: Vec<Layer>,
    params: usize,
    /// Per embedding feature: (coordinate, angular frequency, amplitude, is_cos).
    pub feature_table: Vec<(usize, f64, f64, bool)>,
}

impl Trunk {
    /// The trunk of `config` for inputs in ℝ^`dim` with `outputs` head rows (config already
    /// validated).
    pub fn new(config: &NetworkConfig, dim: usize, outputs: usize) -> Self {
        let mut feature_table = Vec::new();
        let features = match &config.embedding {
            None => dim,
            Some(e) => {
                for is_cos in [false, true] {
                    for k in 0..e.frequencies {
                        let w = std::f64::consts::FRAC_PI_2 * (1u64 << k) as f64;
                        let amp = e.scale * 2f64.powf(-e.alpha * k as f64);
                        for j in 0..dim {
                            feature_table.push((j, w, amp, is_cos));
                        }
                    }
                }
                2 * e.frequencies * dim
            }
        };
        let mut layers = Vec::new();
        let mut offset = 0;
        let mut n_in = features;
        for l in 0..=config.depth {
            let n_out = if l == config.depth {
                outputs
            } else {
                config.width
            };
            let layer = Layer {
                n_in,
                n_out,
                w: offset,
                b: offset + n_in * n_out,
            };
            offset = layer.b + n_out;
            layers.push(layer);
            n_in = n_out;
        }
        Self {
            config: config.clone(),
            dim,
            outputs,
            features,
            layers,
            params: offset,
            feature_table,
        }
    }

    /// The architecture.
    pub fn config(&self) -> &NetworkConfig {
        &self.config
    }

    /// Input dimension d.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Number of head rows (outputs of this trunk).
    pub fn outputs(&self) -> usize {
        self.outputs
    }

    /// Number of input features of the first dense layer.
    pub fn features(&self) -> usize {
        self.features
    }

    /// Number of parameters of the trunk.
    pub fn num_params(&self) -> usize {
        self.params
    }

    /// Writes fresh parameters into `theta` (the trunk's slice): weights from a normal
    /// distribution truncated at two standard deviations with std 1/√fan_in, biases zero.
    pub fn init<R: Rng>(&self, rng: &mut R, theta: &mut [f64]) {
        theta.fill(0.0);
        for layer in &self.layers {
            let std = 1.0 / (layer.n_in as f64).sqrt();
            for w in &mut theta[layer.w..layer.b] {
                *w = loop {
                    let z: f64 = StandardNormal.sample(rng);
                    if z.abs() <= 2.0 {
                        break std * z;
                    }
                };
            }
        }
    }

    /// The widest layer input or output (the row length of the per-point activation buffers).
    pub fn widest_layer(&self) -> usize {
        self.layers
            .iter()
            .map(|l| l.n_in.max(l.n_out))
            .max()
            .unwrap_or(1)
    }

    /// Writes the embedding features of `n` points (row-major n × d) into `out` (n × features).
    pub fn embed(&self, points: &[f64], out: &mut [f64]) {
        let d = self.dim;
        let nf = self.features;
        if self.config.embedding.is_none() {
            out.copy_from_slice(points);
            return;
        }
        for (x, row) in points.chunks_exact(d).zip(out.chunks_exact_mut(nf)) {
            for (f, &(j, w, amp, is_cos)) in self.feature_table.iter().enumerate() {
                let arg = w * x[j];
                row[f] = amp * if is_cos { arg.cos() } else { arg.sin() };
            }
        }
    }

    /// The Dirichlet factor B(x) = Π_j(1 − x_j²) (1 without `dirichlet`).
    #[inline]
    pub fn bump(&self, x: &[f64]) -> f64 {
        if self.config.dirichlet {
            x.iter().map(|v| 1.0 - v * v).product()
        } else {
            1.0
        }
    }

    /// Checks the length of the trunk's parameter slice.
    pub fn check_params(&self, theta: &[f64]) -> Result<()> {
        crate::error::check_len("parameter vector θ", self.params, theta.len())
    }

    /// Checks a point set's length (a multiple of d) and returns the number of points.
    pub fn check_points(&self, points: &[f64]) -> Result<usize> {
        crate::network::count_points(self.dim, points)
    }
}
