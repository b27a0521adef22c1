/// The multi-frequency wave packet of the paper's figure 2 at x ∈ [−1, 1]³:
/// 30(2πs₁²)⁻¹e^(−‖v‖²/(2s₁²))cos(2πf xᵀn̂) + 24(2πs₂²)⁻¹e^(−‖w‖²/(2s₂²))cos(2πf xᵀm̂) with
/// v = x − 0.5(x̂₂ + x̂₃), w = x + (x̂₁ + x̂₂ + x̂₃)/6, n̂ = (x̂₁ + x̂₂)/√2, m̂ = (x̂₁/3 + x̂₂)/2.
///
/// The paper gives neither s₁ nor s₂; this uses s₁ = 0.3 and s₂ = 0.2, and reads its
/// m̂ = 2⁻¹(x̂₂ + x₁x̂₁/3) as (x̂₂ + x̂₁/3)/2.
///
/// # Reference
/// Finzi et al. (ICLR 2023), section 4.1 and figure 2.
pub fn wave_packet(f: f64, x: &[f64]) -> f64 {
    let (s1, s2) = (0.3, 0.2);
    let tau = 2.0 * std::f64::consts::PI;
    let v = [x[0], x[1] - 0.5, x[2] - 0.5];
    let w = [x[0] + 1.0 / 6.0, x[1] + 1.0 / 6.0, x[2] + 1.0 / 6.0];
    let n = (x[0] + x[1]) / std::f64::consts::SQRT_2;
    let m = 0.5 * (x[0] / 3.0 + x[1]);
    let g = |y: [f64; 3], s: f64| {
        (-(y[0] * y[0] + y[1] * y[1] + y[2] * y[2]) / (2.0 * s * s)).exp() / (tau * s * s)
    };
    30.0 * g(v, s1) * (tau * f * n).cos() + 24.0 * g(w, s2) * (tau * f * m).cos()
}
