//! The operators of prdp-core on the 2D BTCS heat problem of the PRDP paper (appendix D.3):
//! a matrix-free stencil, its materialisation as CSR and as a faer sparse matrix, the adjoint
//! identity, and a direct reference solve factorised once and reused for many right-hand sides.
//!
//! `cargo run --release -p prdp-core --example operators`

use prdp_core::{Boundary, Factorization, LinearOperator, Stencil, kernels, to_csr};

fn main() -> prdp_core::Result<()> {
    // (I − νΔt·L₂) on 30×30 interior points, Δx = 1/31, νΔt = 0.001, homogeneous Dirichlet.
    let h = 1.0 / 31.0;
    let a = Stencil::<f64>::laplacian(&[30, 30], &[h, h], Boundary::Dirichlet)?.affine(1.0, -1e-3);
    let csr = to_csr(&a)?;
    println!(
        "{}: {} unknowns, diagonal {:.4}; as CSR: {}",
        a.describe(),
        a.len(),
        a.diagonal_value(),
        csr.describe()
    );

    // ⟨A x, y⟩ = ⟨x, Aᵀ y⟩.
    let x: Vec<f64> = (0..900).map(|i| (0.37 * i as f64).sin()).collect();
    let y: Vec<f64> = (0..900).map(|i| (0.11 * i as f64).cos()).collect();
    let (mut ax, mut aty) = (vec![0.0; 900], vec![0.0; 900]);
    a.apply(&x, &mut ax);
    a.apply_transpose(&y, &mut aty);
    println!(
        "<Ax, y> = {:.12}, <x, A^T y> = {:.12}",
        kernels::dot(&ax, &y),
        kernels::dot(&x, &aty)
    );

    // Factorise once, solve 25 right-hand sides (a minibatch of heat states).
    let lu = Factorization::sparse_cholesky(&a)?;
    let b: Vec<f64> = (0..25 * 900).map(|i| (0.013 * i as f64).sin()).collect();
    let mut u = vec![0.0; 25 * 900];
    lu.solve_many(&b, &mut u, 25, false)?;
    let mut r = vec![0.0; 900];
    let worst = (0..25)
        .map(|s| {
            let bs = &b[s * 900..(s + 1) * 900];
            a.residual(&u[s * 900..(s + 1) * 900], bs, &mut r).sqrt() / kernels::nrm2(bs)
        })
        .fold(0.0, f64::max);
    println!(
        "{:?}: largest relative residual over 25 solves {worst:.2e}",
        lu.kind()
    );
    Ok(())
}
