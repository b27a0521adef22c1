//! The library's Neural IVP presets with this run's `--set` overrides.

use std::ops::Deref;

use neural_ivp::presets::Preset as Sizes;
use neural_ivp::{NeuralIvpConfig, RkScheme};

use super::overrides::Overrides;
use crate::Size;

/// The sizes of one reproduction ([`neural_ivp::presets::Preset`], read through `Deref`) and the
/// `--set` changes to every Neural IVP configuration.
#[derive(Clone, Debug)]
pub(crate) struct Preset {
    sizes: Sizes,
    /// `--set` changes to every Neural IVP configuration.
    pub overrides: Overrides,
}

impl Preset {
    /// The sizes of `size`, without overrides.
    pub fn new(size: Size) -> Self {
        let sizes = match size {
            Size::Quick => Sizes::quick(),
            Size::Medium => Sizes::medium(),
            Size::Full => Sizes::full(),
        };
        Self {
            sizes,
            overrides: Overrides::default(),
        }
    }

    /// The Neural IVP configuration with `frequencies` embedding frequencies, with the
    /// `--set` overrides applied.
    ///
    /// # Errors
    /// An override that does not fit the configuration.
    pub fn nivp(&self, frequencies: usize, method: RkScheme) -> anyhow::Result<NeuralIvpConfig> {
        self.nivp_tuned(frequencies, method, |_| {})
    }

    /// As [`Preset::nivp`], with an experiment's own settings (`tune`) applied before the
    /// `--set` overrides, so that a control run can still change them.
    ///
    /// # Errors
    /// An override that does not fit the configuration.
    pub fn nivp_tuned(
        &self,
        frequencies: usize,
        method: RkScheme,
        tune: impl FnOnce(&mut NeuralIvpConfig),
    ) -> anyhow::Result<NeuralIvpConfig> {
        let mut cfg = self.sizes.nivp(frequencies, method);
        tune(&mut cfg);
        self.overrides.apply(cfg)
    }
}

impl Deref for Preset {
    type Target = Sizes;

    fn deref(&self) -> &Sizes {
        &self.sizes
    }
}
