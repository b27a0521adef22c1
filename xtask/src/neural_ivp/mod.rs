//! `cargo xtask reproduce neural-ivp`.

use anyhow::Result;

use crate::ReproduceOptions;

/// Runs the Neural IVP reproduction.
pub fn run(opts: &ReproduceOptions) -> Result<()> {
    anyhow::bail!("neural-ivp reproduction is not wired yet (out: {})", opts.out.display())
}
