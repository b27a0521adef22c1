//! The scalar type every crate of the workspace is generic over.

use core::fmt::{Debug, Display, LowerExp};
use core::iter::Sum;

/// A real floating-point scalar: `f32` or `f64`.
///
/// The PRDP experiments run in `f32` (with the paper's tolerance ε = 1e-5), Neural IVP in `f64`.
/// `Real` bundles what the numerical code needs: IEEE arithmetic and functions
/// ([`num_traits::Float`]), faer's field trait (so dense and sparse faer matrices can hold it),
/// thread safety, and lossless-enough conversions to and from `f64`.
///
/// # Example
/// ```
/// use prdp_core::Real;
/// fn half<T: Real>(x: T) -> T { x * T::of(0.5) }
/// assert_eq!(half(3.0f32), 1.5);
/// assert_eq!(half(3.0f64).as_f64(), 1.5);
/// ```
pub trait Real:
    num_traits::Float
    + faer::traits::RealField
    + Copy
    + Default
    + Send
    + Sync
    + Debug
    + Display
    + LowerExp
    + Sum
    + num_traits::NumAssign
    + 'static
{
    /// Short name of the type (`"f32"` or `"f64"`), for error messages and records.
    const NAME: &'static str;

    /// Converts an `f64` constant or value to `Self` (rounding to nearest for `f32`).
    fn of(x: f64) -> Self;

    /// Converts a count to `Self`.
    fn of_usize(n: usize) -> Self {
        Self::of(n as f64)
    }

    /// Widens (or copies) `self` to `f64`.
    fn as_f64(self) -> f64;

    /// `s` as a slice of its concrete type, for code that moves values without computing with
    /// them (message passing, serialisation).
    fn values(s: &[Self]) -> Values<'_>;

    /// `s` as a mutable slice of its concrete type (see [`Real::values`]).
    fn values_mut(s: &mut [Self]) -> ValuesMut<'_>;
}

/// A slice of one of the [`Real`] types, by concrete type.
#[derive(Debug)]
pub enum Values<'a> {
    /// Single precision.
    F32(&'a [f32]),
    /// Double precision.
    F64(&'a [f64]),
}

/// A mutable slice of one of the [`Real`] types, by concrete type.
#[derive(Debug)]
pub enum ValuesMut<'a> {
    /// Single precision.
    F32(&'a mut [f32]),
    /// Double precision.
    F64(&'a mut [f64]),
}

impl Real for f32 {
    const NAME: &'static str = "f32";

    #[inline(always)]
    fn of(x: f64) -> Self {
        x as f32
    }

    #[inline(always)]
    fn as_f64(self) -> f64 {
        f64::from(self)
    }

    fn values(s: &[Self]) -> Values<'_> {
        Values::F32(s)
    }

    fn values_mut(s: &mut [Self]) -> ValuesMut<'_> {
        ValuesMut::F32(s)
    }
}

impl Real for f64 {
    const NAME: &'static str = "f64";

    #[inline(always)]
    fn of(x: f64) -> Self {
        x
    }

    #[inline(always)]
    fn as_f64(self) -> f64 {
        self
    }

    fn values(s: &[Self]) -> Values<'_> {
        Values::F64(s)
    }

    fn values_mut(s: &mut [Self]) -> ValuesMut<'_> {
        ValuesMut::F64(s)
    }
}
