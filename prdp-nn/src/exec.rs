//! Running the tape of a [`Plan`] on one chunk of the batch: forward, backward (reverse mode)
//! and tangent (forward mode).

use prdp_core::Real;

use crate::pass::{ParamGrad, Pass};
use crate::plan::{Buf, Op, Plan};

/// The activation buffers of one chunk: the input rows, the output rows and the hidden buffers.
pub(crate) struct Acts<'a, T> {
    pub plan: &'a Plan,
    pub rows: usize,
    pub input: &'a [T],
    pub output: &'a mut [T],
    pub hidden: &'a mut [Vec<T>],
}

/// Per-chunk scratch of the backward and tangent passes.
pub(crate) struct GradScratch<'a, T> {
    /// Two ping-pong buffers for the gradient (or tangent) of the current activation.
    pub grads: &'a mut [Vec<T>; 2],
    /// Saved gradients (or tangents) of the open residual skips, one per nesting level.
    pub skips: &'a mut [Vec<T>],
    /// im2col scratch of the convolutions, transposition scratch of the dense layers.
    pub cols: &'a mut [T],
}

impl<T: Real> Acts<'_, T> {
    /// The rows of buffer `b`.
    fn get(&self, b: Buf) -> &[T] {
        let n = self.rows * self.plan.size(b);
        match b {
            Buf::Input => &self.input[..n],
            Buf::Output => &self.output[..n],
            Buf::Hidden(i) => &self.hidden[i][..n],
        }
    }

    /// Runs `f` with the rows of `dst` writable and every other buffer readable through `self`.
    fn with_dst<R>(&mut self, dst: Buf, f: impl FnOnce(&Self, &mut [T]) -> R) -> R {
        let n = self.rows * self.plan.size(dst);
        match dst {
            Buf::Input => unreachable!("no step writes the input"),
            Buf::Output => {
                let out = core::mem::take(&mut self.output);
                let r = f(self, &mut out[..n]);
                self.output = out;
                r
            }
            Buf::Hidden(i) => {
                let mut buf = core::mem::take(&mut self.hidden[i]);
                let r = f(self, &mut buf[..n]);
                self.hidden[i] = buf;
                r
            }
        }
    }

    /// Runs every step forward. Dense products may use `threads` threads.
    pub fn forward(&mut self, params: &[T], cols: &mut [T], threads: usize) {
        let rows = self.rows;
        for step in &self.plan.steps {
            let (src, dst) = (step.src, step.dst);
            match &step.op {
                Op::Dense(d) => {
                    self.with_dst(dst, |a, y| d.forward(params, a.get(src), y, rows, threads))
                }
                Op::Conv(c) => self.with_dst(dst, |a, y| {
                    let pass = Pass {
                        rows,
                        threads,
                        scratch: &mut *cols,
                    };
                    c.forward(params, a.get(src), y, pass)
                }),
                Op::Act(f) if src == dst => self.with_dst(dst, |_, y| f.forward_in_place(y)),
                Op::Act(f) => self.with_dst(dst, |a, y| f.forward(a.get(src), y)),
                Op::SkipBegin => {}
                Op::Add { skip } => self.with_dst(dst, |a, y| {
                    let s = a.get(*skip);
                    if src == dst {
                        for (yi, &si) in y.iter_mut().zip(s) {
                            *yi += si;
                        }
                    } else {
                        for ((yi, &xi), &si) in y.iter_mut().zip(a.get(src)).zip(s) {
                            *yi = xi + si;
                        }
                    }
                }),
            }
        }
    }

    /// Runs every step backward from the output cotangent `out_bar`: parameter gradients go to
    /// `grad` (added, or written if `beta` is `Accum::Replace`), the input gradient to `in_bar`
    /// if given (and is not computed otherwise).
    pub fn backward(
        &mut self,
        params: &[T],
        out_bar: &[T],
        in_bar: Option<&mut [T]>,
        param_grad: ParamGrad<'_, T>,
        s: GradScratch<'_, T>,
        threads: usize,
    ) {
        let ParamGrad { grad, beta } = param_grad;
        let (rows, plan) = (self.rows, self.plan);
        let need_in = in_bar.is_some();
        s.grads[0][..out_bar.len()].copy_from_slice(out_bar);
        let mut cur = 0;
        let mut level = 0;
        for step in plan.steps.iter().rev() {
            let (src, dst) = (step.src, step.dst);
            let skip_input = src == Buf::Input && !need_in;
            let n_src = rows * plan.size(src);
            let n_dst = rows * plan.size(dst);
            let [g0, g1] = &mut *s.grads;
            let (gy, gx) = if cur == 0 { (g0, g1) } else { (g1, g0) };
            let dx = (!skip_input).then(|| &mut gx[..n_src]);
            match &step.op {
                Op::Dense(d) => {
                    d.backward(
                        params,
                        self.get(src),
                        &gy[..n_dst],
                        dx,
                        ParamGrad {
                            grad: &mut *grad,
                            beta,
                        },
                        Pass {
                            rows,
                            threads,
                            scratch: &mut *s.cols,
                        },
                    );
                }
                Op::Conv(c) => {
                    c.backward(
                        params,
                        self.get(src),
                        &gy[..n_dst],
                        dx,
                        ParamGrad {
                            grad: &mut *grad,
                            beta,
                        },
                        Pass {
                            rows,
                            threads,
                            scratch: &mut *s.cols,
                        },
                    );
                }
                Op::Act(f) => {
                    if !skip_input {
                        let saved = if f.derivative_from_output() { dst } else { src };
                        f.backward(self.get(saved), &mut gy[..n_dst]);
                    }
                }
                Op::Add { .. } => {
                    s.skips[level][..n_dst].copy_from_slice(&gy[..n_dst]);
                    level += 1;
                }
                Op::SkipBegin => {
                    level -= 1;
                    if !skip_input {
                        for (gi, &si) in gy[..n_src].iter_mut().zip(&s.skips[level][..n_src]) {
                            *gi += si;
                        }
                    }
                }
            }
            if matches!(step.op, Op::Dense(_) | Op::Conv(_)) && !skip_input {
                cur = 1 - cur;
            }
        }
        if let Some(in_bar) = in_bar {
            in_bar.copy_from_slice(&s.grads[cur][..in_bar.len()]);
        }
    }

    /// Pushes the parameter tangent `dparams` and the input tangent `in_dot` (zero if `None`)
    /// through the linearisation of the last forward pass, writing the output tangent to
    /// `out_dot`.
    pub fn jvp(
        &mut self,
        params: &[T],
        dparams: &[T],
        in_dot: Option<&[T]>,
        out_dot: &mut [T],
        s: GradScratch<'_, T>,
        threads: usize,
    ) {
        let (rows, plan) = (self.rows, self.plan);
        let n_in = rows * plan.size(Buf::Input);
        match in_dot {
            Some(t) => s.grads[0][..n_in].copy_from_slice(t),
            None => s.grads[0][..n_in].fill(T::zero()),
        }
        let mut cur = 0;
        let mut level = 0;
        for step in &plan.steps {
            let (src, dst) = (step.src, step.dst);
            // A zero input tangent need not be multiplied by the first layer's weights.
            let live = src != Buf::Input || in_dot.is_some();
            let n_src = rows * plan.size(src);
            let n_dst = rows * plan.size(dst);
            let [g0, g1] = &mut *s.grads;
            let (tx, ty) = if cur == 0 { (g0, g1) } else { (g1, g0) };
            let tx_in = live.then_some(&tx[..n_src]);
            match &step.op {
                Op::Dense(d) => {
                    d.tangent(
                        params,
                        dparams,
                        self.get(src),
                        tx_in,
                        &mut ty[..n_dst],
                        Pass {
                            rows,
                            threads,
                            scratch: &mut *s.cols,
                        },
                    );
                    cur = 1 - cur;
                }
                Op::Conv(c) => {
                    c.tangent(
                        params,
                        dparams,
                        self.get(src),
                        tx_in,
                        &mut ty[..n_dst],
                        Pass {
                            rows,
                            threads,
                            scratch: &mut *s.cols,
                        },
                    );
                    cur = 1 - cur;
                }
                Op::Act(f) => {
                    let saved = if f.derivative_from_output() { dst } else { src };
                    f.backward(self.get(saved), &mut tx[..n_dst]);
                }
                Op::SkipBegin => {
                    s.skips[level][..n_src].copy_from_slice(&tx[..n_src]);
                    level += 1;
                }
                Op::Add { .. } => {
                    level -= 1;
                    for (ti, &si) in tx[..n_dst].iter_mut().zip(&s.skips[level][..n_dst]) {
                        *ti += si;
                    }
                }
            }
        }
        out_dot.copy_from_slice(&s.grads[cur][..out_dot.len()]);
    }
}
