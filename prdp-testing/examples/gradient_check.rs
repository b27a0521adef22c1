//! Checks a hand-written gradient against central finite differences, as the prdp test suites
//! do: L(z) = Σ sin(zᵢ) zᵢ₊₁ on a seeded random z.
//!
//! `cargo run -p prdp-testing --example gradient_check`

use prdp_testing::{check_directional, vector};

fn main() {
    let z = vector(42, 16);
    let loss = |z: &[f64]| -> (f64, f64) {
        let terms = z.windows(2).map(|w| w[0].sin() * w[1]);
        (terms.clone().sum(), terms.map(f64::abs).sum())
    };
    let mut grad = vec![0.0; z.len()];
    for i in 0..z.len() - 1 {
        grad[i] += z[i].cos() * z[i + 1];
        grad[i + 1] += z[i].sin();
    }
    check_directional("Σ sin(zᵢ) zᵢ₊₁", &z, &grad, 7, 5, loss);
    println!("the gradient agrees with central differences along 5 random directions");
}
