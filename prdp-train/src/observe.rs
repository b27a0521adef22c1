//! Observers watch a run without the trainer knowing what they do: a progress bar, logging.

use crate::IntervalRecord;

/// Receives the events of a training run.
pub trait Observer {
    /// The run starts (or resumes) with `intervals` intervals in total, `done` of them already.
    fn start(&mut self, name: &str, intervals: usize, done: usize) {
        let _ = (name, intervals, done);
    }

    /// An interval ended.
    fn interval(&mut self, record: &IntervalRecord) {
        let _ = record;
    }

    /// The run ended.
    fn finish(&mut self) {}
}

/// Ignores every event.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Observer for Silent {}

/// An indicatif progress bar showing epoch, K, training loss and validation metric. It draws
/// nothing when stderr is not a terminal, or when created `quiet`.
#[derive(Debug)]
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    quiet: bool,
}

impl Progress {
    /// A progress bar (hidden if `quiet`).
    pub fn new(quiet: bool) -> Self {
        Self { bar: None, quiet }
    }
}

impl Observer for Progress {
    fn start(&mut self, name: &str, intervals: usize, done: usize) {
        if self.quiet {
            return;
        }
        let bar = indicatif::ProgressBar::new(intervals as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{prefix:>14} [{bar:30}] {pos}/{len} {msg} ({elapsed}, eta {eta})",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(name.to_owned());
        bar.set_position(done as u64);
        self.bar = Some(bar);
    }

    fn interval(&mut self, r: &IntervalRecord) {
        if let Some(bar) = &self.bar {
            bar.set_position(r.index as u64);
            bar.set_message(format!(
                "epoch {} K {} loss {:.3e} metric {:.3e}",
                r.epoch,
                r.k,
                r.train_loss.unwrap_or(f64::NAN),
                r.validation.metric
            ));
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
