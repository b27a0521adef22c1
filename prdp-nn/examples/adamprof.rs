use std::time::Instant;
#[inline(never)]
fn adam_zip(p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], c: [f32; 8]) {
    let [b1, omb1, b2, omb2, ibc1, ibc2, eps, lr] = c;
    for (((pi, &gi), mi), vi) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
        let mn = b1.mul_add(*mi, omb1 * gi);
        let vn = b2.mul_add(*vi, omb2 * gi * gi);
        *mi = mn;
        *vi = vn;
        let u = mn * ibc1 / ((vn * ibc2).sqrt() + eps);
        *pi -= lr * u;
    }
}
#[inline(never)]
fn adam_nofma(p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32], c: [f32; 8]) {
    let [b1, omb1, b2, omb2, ibc1, ibc2, eps, lr] = c;
    let n = p.len();
    let (p, g, m, v) = (&mut p[..n], &g[..n], &mut m[..n], &mut v[..n]);
    for i in 0..n {
        let gi = g[i];
        let mn = b1 * m[i] + omb1 * gi;
        let vn = b2 * v[i] + omb2 * gi * gi;
        m[i] = mn;
        v[i] = vn;
        let u = mn * ibc1 / ((vn * ibc2).sqrt() + eps);
        p[i] -= lr * u;
    }
}
fn main() {
    lib();
    let n = 12254;
    let mut p = vec![0.1f32; n];
    let g = vec![0.01f32; n];
    let mut m = vec![0.0f32; n];
    let mut v = vec![0.0f32; n];
    let c = [0.9, 0.1, 0.999, 0.001, 1.5, 2.0, 1e-8, 1e-5];
    for (name, f) in [
        (
            "zip",
            adam_zip as fn(&mut [f32], &[f32], &mut [f32], &mut [f32], [f32; 8]),
        ),
        ("nofma", adam_nofma),
    ] {
        for _ in 0..1000 {
            f(&mut p, &g, &mut m, &mut v, c);
        }
        let s = Instant::now();
        for _ in 0..20000 {
            f(&mut p, &g, &mut m, &mut v, c);
        }
        println!(
            "{name}: {:.2} us",
            s.elapsed().as_secs_f64() / 20000.0 * 1e6
        );
    }
}
#[allow(dead_code)]
fn lib() {
    use prdp_nn::*;
    let n = 12254;
    let opt = Optimizer::adam(Schedule::Constant { value: 1e-5 });
    let mut st = opt.init::<f32>(n);
    let mut p = vec![0.1f32; n];
    let g = vec![0.01f32; n];
    for _ in 0..1000 {
        opt.update(&mut p, &g, &mut st).unwrap();
    }
    let s = Instant::now();
    for _ in 0..20000 {
        opt.update(&mut p, &g, &mut st).unwrap();
    }
    println!("lib: {:.2} us", s.elapsed().as_secs_f64() / 20000.0 * 1e6);
}
