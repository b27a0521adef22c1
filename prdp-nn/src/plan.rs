//! Compilation of an [`Architecture`] into a flat tape of steps over activation buffers, and the
//! parameter views of the flat buffer.

use crate::config::{
    Architecture, LayerConfig, MlpConfig, Padding, ResNetConfig, SequentialConfig,
};
use crate::conv::{Conv, Layout};
use crate::dense::Dense;
use crate::error::{Result, invalid};
use crate::patches::Window;
use crate::view::{ParamKind, ParamView};
use crate::{Activation, Init};

/// Dense weights at least this large make a model run whole batches through multi-threaded
/// products instead of splitting the batch across threads (which would stream them once per
/// thread).
const LARGE_WEIGHT: usize = 1 << 20;

/// Forward passes of fewer multiply–adds than this (over the whole batch) run on one thread:
/// waking a second thread costs tens of microseconds on the target machines.
pub(crate) const PARALLEL_MIN_MACS: usize = 1 << 24;

/// An activation buffer: the caller's input, the caller-visible output, or an internal buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Buf {
    Input,
    Output,
    Hidden(usize),
}

/// One operation of the tape.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    Dense(Dense),
    Conv(Conv),
    /// Element-wise activation (in place when `src == dst`).
    Act(Activation),
    /// Opens a residual block whose skip branch starts at `src` (a no-op forward; backward adds
    /// the saved skip gradient).
    SkipBegin,
    /// Closes a residual block: dst ← src + skip (in place when `src == dst`).
    Add {
        skip: Buf,
    },
}

/// An operation reading `src` and writing `dst` (the same buffer for in-place operations).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Step {
    pub op: Op,
    pub src: Buf,
    pub dst: Buf,
}

/// The compiled form of an architecture.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Plan {
    pub steps: Vec<Step>,
    /// Per-sample sizes of the hidden buffers.
    pub hidden: Vec<usize>,
    pub input_shape: Vec<usize>,
    pub output_shape: Vec<usize>,
    pub views: Vec<ParamView>,
    pub num_params: usize,
    pub init: Init,
    /// Convolution scratch length (im2col of one sample and rearranged weights).
    pub cols: usize,
    /// Dense-layer scratch length per row of the batch.
    pub scratch_per_row: usize,
    /// Largest per-sample buffer (sizes the gradient buffers).
    pub widest: usize,
    /// Deepest nesting of residual blocks.
    pub depth: usize,
    /// Whether the batch may be split across threads (otherwise products are).
    pub batch_parallel: bool,
    /// Multiply–adds of one sample's forward pass.
    pub macs: usize,
}

impl Plan {
    /// Validates `arch` and compiles it.
    pub fn new(arch: &Architecture) -> Result<Self> {
        match arch {
            Architecture::Mlp(c) => mlp(c),
            Architecture::ResNet(c) => resnet(c),
            Architecture::Sequential(c) => sequential(c),
        }
    }

    /// The dense and convolution steps with the buffer they read and their multiply–adds per
    /// sample.
    pub fn products(&self) -> impl Iterator<Item = (Buf, usize)> + '_ {
        self.steps.iter().filter_map(|s| match &s.op {
            Op::Dense(d) => Some((s.src, d.macs())),
            Op::Conv(c) => Some((s.src, c.macs())),
            _ => None,
        })
    }

    /// Per-sample length of a buffer.
    pub fn size(&self, b: Buf) -> usize {
        match b {
            Buf::Input => self.input_shape.iter().product(),
            Buf::Output => self.output_shape.iter().product(),
            Buf::Hidden(i) => self.hidden[i],
        }
    }
}

fn mlp(c: &MlpConfig) -> Result<Plan> {
    positive("mlp.in_features", c.in_features)?;
    positive("mlp.out_features", c.out_features)?;
    if c.depth > 0 {
        positive("mlp.width", c.width)?;
    }
    let mut b = Builder::new(vec![c.in_features], c.init);
    for i in 0..c.depth {
        b.linear(&format!("layers.{i}."), c.width, c.bias)?;
        b.activation(c.activation);
    }
    b.linear(&format!("layers.{}.", c.depth), c.out_features, c.bias)?;
    if let Some(f) = c.final_activation {
        b.activation(f);
    }
    b.finish()
}

fn resnet(c: &ResNetConfig) -> Result<Plan> {
    if c.grid.is_empty() || c.grid.len() > 3 || c.grid.contains(&0) {
        return Err(invalid(
            "resnet.grid",
            format!("{:?}", c.grid),
            "1 to 3 axes, each at least 1",
        ));
    }
    positive("resnet.in_channels", c.in_channels)?;
    positive("resnet.out_channels", c.out_channels)?;
    positive("resnet.hidden_channels", c.hidden_channels)?;
    let smallest = c.grid.iter().copied().min().unwrap_or(0);
    for (field, k) in [
        ("resnet.kernel_size", c.kernel_size),
        ("resnet.lifting_kernel_size", c.lifting_kernel_size),
        ("resnet.projection_kernel_size", c.projection_kernel_size),
    ] {
        if k == 0 || k > smallest {
            return Err(invalid(
                field,
                k,
                &format!("between 1 and the smallest grid extent {smallest}"),
            ));
        }
    }
    let mut shape = vec![c.in_channels];
    shape.extend_from_slice(&c.grid);
    let mut b = Builder::new(shape, c.init);
    let (h, pad) = (c.hidden_channels, c.padding);
    b.conv("lifting.", h, c.lifting_kernel_size, pad, c.bias)?;
    for i in 0..c.blocks {
        b.residual_begin();
        b.conv(&format!("blocks.{i}.conv1."), h, c.kernel_size, pad, c.bias)?;
        b.activation(c.activation);
        b.conv(&format!("blocks.{i}.conv2."), h, c.kernel_size, pad, c.bias)?;
        b.residual_end(&format!("blocks.{i}"), Some(c.activation))?;
    }
    b.conv(
        "projection.",
        c.out_channels,
        c.projection_kernel_size,
        pad,
        c.bias,
    )?;
    b.finish()
}

fn sequential(c: &SequentialConfig) -> Result<Plan> {
    if c.input_shape.is_empty() || c.input_shape.contains(&0) {
        return Err(invalid(
            "sequential.input_shape",
            format!("{:?}", c.input_shape),
            "at least one axis, each at least 1",
        ));
    }
    let mut b = Builder::new(c.input_shape.clone(), c.init);
    layers(&mut b, "", &c.layers)?;
    b.finish()
}

fn layers(b: &mut Builder, prefix: &str, list: &[LayerConfig]) -> Result<()> {
    for (i, layer) in list.iter().enumerate() {
        let name = format!("{prefix}{i}.");
        match layer {
            LayerConfig::Linear { out_features, bias } => b.linear(&name, *out_features, *bias)?,
            LayerConfig::Conv {
                out_channels,
                kernel_size,
                padding,
                bias,
            } => b.conv(&name, *out_channels, *kernel_size, *padding, *bias)?,
            LayerConfig::Activation { function } => b.activation(*function),
            LayerConfig::Residual { body, activation } => {
                if body.is_empty() {
                    return Err(invalid(&format!("{name}body"), "[]", "at least one layer"));
                }
                b.residual_begin();
                layers(b, &format!("{name}body."), body)?;
                b.residual_end(&format!("{prefix}{i}"), *activation)?;
            }
        }
    }
    Ok(())
}

fn positive(field: &str, v: usize) -> Result<()> {
    if v == 0 {
        Err(invalid(field, v, "at least 1"))
    } else {
        Ok(())
    }
}

/// Incremental construction of a [`Plan`]. `cur` is always the most recently created buffer (or
/// the input); `mutable` says whether the next operation may overwrite it.
struct Builder {
    steps: Vec<Step>,
    hidden: Vec<usize>,
    views: Vec<ParamView>,
    input_shape: Vec<usize>,
    shape: Vec<usize>,
    cur: Buf,
    mutable: bool,
    skips: Vec<(Buf, Vec<usize>)>,
    depth: usize,
    init: Init,
}

impl Builder {
    fn new(input_shape: Vec<usize>, init: Init) -> Self {
        Self {
            steps: Vec::new(),
            hidden: Vec::new(),
            views: Vec::new(),
            shape: input_shape.clone(),
            input_shape,
            cur: Buf::Input,
            mutable: false,
            skips: Vec::new(),
            depth: 0,
            init,
        }
    }

    fn offset(&self) -> usize {
        self.views.last().map_or(0, |v| v.offset + v.len())
    }

    fn param(
        &mut self,
        name: String,
        shape: Vec<usize>,
        kind: ParamKind,
        fans: (usize, usize),
    ) -> usize {
        let offset = self.offset();
        self.views.push(ParamView {
            name,
            offset,
            shape,
            kind,
            fan_in: fans.0,
            fan_out: fans.1,
        });
        offset
    }

    /// Appends a step writing a new buffer of the given sample shape.
    fn push_new(&mut self, op: Op, shape: Vec<usize>, mutable: bool) {
        self.hidden.push(shape.iter().product());
        let dst = Buf::Hidden(self.hidden.len() - 1);
        self.steps.push(Step {
            op,
            src: self.cur,
            dst,
        });
        self.cur = dst;
        self.shape = shape;
        self.mutable = mutable;
    }

    fn linear(&mut self, name: &str, out: usize, bias: bool) -> Result<()> {
        let &[inp] = self.shape.as_slice() else {
            return Err(invalid(
                &format!("{name}input"),
                format!("{:?}", self.shape),
                "a one-axis sample shape [features] for a dense layer",
            ));
        };
        positive(&format!("{name}out_features"), out)?;
        let weight = self.param(
            format!("{name}weight"),
            vec![out, inp],
            ParamKind::Weight,
            (inp, out),
        );
        let bias = bias.then(|| {
            self.param(
                format!("{name}bias"),
                vec![out],
                ParamKind::Bias,
                (inp, out),
            )
        });
        let op = Op::Dense(Dense {
            inp,
            out,
            weight,
            bias,
        });
        self.push_new(op, vec![out], true);
        Ok(())
    }

    fn conv(
        &mut self,
        name: &str,
        cout: usize,
        k: usize,
        padding: Padding,
        bias: bool,
    ) -> Result<()> {
        if self.shape.len() < 2 || self.shape.len() > 4 {
            return Err(invalid(
                &format!("{name}input"),
                format!("{:?}", self.shape),
                "a sample shape [channels, grid…] with 1 to 3 grid axes for a convolution",
            ));
        }
        positive(&format!("{name}out_channels"), cout)?;
        let (cin, grid) = (self.shape[0], self.shape[1..].to_vec());
        let smallest = grid.iter().copied().min().unwrap_or(0);
        if k == 0 || k > smallest {
            return Err(invalid(
                &format!("{name}kernel_size"),
                k,
                &format!("between 1 and the smallest grid extent {smallest}"),
            ));
        }
        let lead = 3 - grid.len();
        let mut dims = [1; 3];
        let mut ks = [1; 3];
        dims[lead..].copy_from_slice(&grid);
        ks[lead..].fill(k);
        let taps = k.pow(grid.len() as u32);
        let mut wshape = vec![cout, cin];
        wshape.extend(std::iter::repeat_n(k, grid.len()));
        let fans = (cin * taps, cout * taps);
        let weight = self.param(format!("{name}weight"), wshape, ParamKind::Weight, fans);
        let bias =
            bias.then(|| self.param(format!("{name}bias"), vec![cout], ParamKind::Bias, fans));
        let op = Op::Conv(Conv {
            cin,
            cout,
            window: Window {
                dims,
                k: ks,
                lo: ks.map(|k| (k - 1) / 2),
                padding,
            },
            weight,
            bias,
            input: Layout::ChannelsFirst,
            output: Layout::ChannelsFirst,
        });
        let mut shape = vec![cout];
        shape.extend_from_slice(&grid);
        self.push_new(op, shape, true);
        Ok(())
    }

    /// ReLU and tanh overwrite a mutable buffer (their backward needs only the output, which
    /// then must not change); swish and GELU write a new buffer (their backward needs the input).
    fn activation(&mut self, f: Activation) {
        if f.derivative_from_output() && self.mutable {
            let b = self.cur;
            self.steps.push(Step {
                op: Op::Act(f),
                src: b,
                dst: b,
            });
            self.mutable = false;
        } else {
            self.push_new(Op::Act(f), self.shape.clone(), !f.derivative_from_output());
        }
    }

    fn residual_begin(&mut self) {
        let b = self.cur;
        self.steps.push(Step {
            op: Op::SkipBegin,
            src: b,
            dst: b,
        });
        self.skips.push((b, self.shape.clone()));
        self.depth = self.depth.max(self.skips.len());
        self.mutable = false;
    }

    fn residual_end(&mut self, name: &str, act: Option<Activation>) -> Result<()> {
        let (skip, shape) = self
            .skips
            .pop()
            .expect("residual_end without residual_begin");
        if shape != self.shape {
            return Err(invalid(
                &format!("{name}.body"),
                format!("output shape {:?}", self.shape),
                &format!("the block's input shape {shape:?}"),
            ));
        }
        if self.mutable {
            let b = self.cur;
            self.steps.push(Step {
                op: Op::Add { skip },
                src: b,
                dst: b,
            });
        } else {
            self.push_new(Op::Add { skip }, shape, true);
        }
        self.mutable = true;
        if let Some(f) = act {
            self.activation(f);
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Plan> {
        let Buf::Hidden(last) = self.cur else {
            return Err(invalid(
                "layers",
                "[]",
                "at least one layer that computes something",
            ));
        };
        debug_assert_eq!(
            last + 1,
            self.hidden.len(),
            "the current buffer is the newest"
        );
        self.hidden.pop();
        for s in &mut self.steps {
            for b in [&mut s.src, &mut s.dst] {
                if *b == self.cur {
                    *b = Buf::Output;
                }
            }
        }
        assign_layouts(&mut self.steps, self.hidden.len());
        let num_params = self.offset();
        let cols = self
            .steps
            .iter()
            .map(|s| match &s.op {
                Op::Conv(c) => c.scratch_len(),
                _ => 0,
            })
            .max()
            .unwrap_or(0);
        let scratch_per_row = self
            .steps
            .iter()
            .map(|s| match &s.op {
                Op::Dense(d) => d.scratch_per_row(),
                _ => 0,
            })
            .max()
            .unwrap_or(0);
        let batch_parallel = !self
            .steps
            .iter()
            .any(|s| matches!(&s.op, Op::Dense(d) if d.macs() >= LARGE_WEIGHT));
        let input: usize = self.input_shape.iter().product();
        let output: usize = self.shape.iter().product();
        let widest = self
            .hidden
            .iter()
            .copied()
            .chain([input, output])
            .max()
            .unwrap_or(0);
        let mut plan = Plan {
            steps: self.steps,
            hidden: self.hidden,
            input_shape: self.input_shape,
            output_shape: self.shape,
            views: self.views,
            num_params,
            init: self.init,
            cols,
            scratch_per_row,
            widest,
            depth: self.depth,
            batch_parallel,
            macs: 0,
        };
        plan.macs = plan.products().map(|(_, m)| m).sum();
        Ok(plan)
    }
}

/// Chooses the memory order of every convolutional buffer: the model's input and output are
/// channels-first, and so is every buffer tied to them by element-wise steps (activations and
/// residual sums, whose operands must share a layout); all other buffers are channels-last.
/// Each convolution then reads and writes the layouts of its buffers.
fn assign_layouts(steps: &mut [Step], hidden: usize) {
    let index = |b: Buf| match b {
        Buf::Input => 0,
        Buf::Output => 1,
        Buf::Hidden(i) => 2 + i,
    };
    let mut parent: Vec<usize> = (0..hidden + 2).collect();
    fn root(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    for s in steps.iter() {
        let mut tie = |a: Buf, b: Buf| {
            let (ra, rb) = (root(&mut parent, index(a)), root(&mut parent, index(b)));
            parent[ra] = rb;
        };
        match s.op {
            Op::Act(_) => tie(s.src, s.dst),
            Op::Add { skip } => {
                tie(s.src, s.dst);
                tie(skip, s.dst);
            }
            _ => {}
        }
    }
    let outer = [root(&mut parent, 0), root(&mut parent, 1)];
    let mut layout = |b: Buf| {
        if outer.contains(&root(&mut parent, index(b))) {
            Layout::ChannelsFirst
        } else {
            Layout::ChannelsLast
        }
    };
    for s in steps.iter_mut() {
        if let Op::Conv(c) = &mut s.op {
            c.input = layout(s.src);
            c.output = layout(s.dst);
        }
    }
}
