//! The vector–Jacobian product of the Navier–Stokes operator with respect to its winds.

use prdp_core::Real;
use prdp_solvers::CotangentSink;

use super::NavierStokes;
use super::stagger::{U_TO_V, V_TO_U};

/// Contracts the matrix cotangent of a Navier–Stokes step into the input's velocity cotangent:
/// through the upwind coefficients of both momentum blocks, their wind averaging and the
/// cross-wind interpolations (the pressure input gets nothing).
pub struct NsSink<'a, T> {
    pub(crate) ns: &'a NavierStokes<T>,
    pub(crate) g: &'a [T],
    pub(crate) g_bar: &'a mut [T],
    pub(crate) scratch: &'a mut [T],
}

impl<T: Real> NsSink<'_, T> {
    /// Accumulates into ḡ the cotangent of both blocks' coefficients given per-point
    /// coefficient cotangents `bar_u(k, neighbours)` and `bar_v(...)`.
    fn contract(
        &mut self,
        bar_u: impl Fn(usize, [usize; 4]) -> [T; 4],
        bar_v: impl Fn(usize, [usize; 4]) -> [T; 4],
    ) {
        let ns = self.ns;
        let (n, m) = (ns.config.n, n_cells(ns));
        let up = ns.upwind;
        let (wind, wind_bar) = self.scratch.split_at_mut(m);
        let wind_bar = &mut wind_bar[..m];
        let (gu_bar, rest) = self.g_bar.split_at_mut(m);
        let gv_bar = &mut rest[..m];
        let (gu, gv) = (&self.g[..m], &self.g[m..2 * m]);
        // u-equation: winds (u, V→U(v)).
        ns.cross_wind(self.g, true, wind);
        wind_bar.fill(T::zero());
        up.scatter(gu, wind, bar_u, gu_bar, wind_bar);
        V_TO_U.add_transpose(n, wind_bar, gv_bar);
        // v-equation: winds (U→V(u), v).
        ns.cross_wind(self.g, false, wind);
        wind_bar.fill(T::zero());
        up.scatter(wind, gv, bar_v, wind_bar, gv_bar);
        U_TO_V.add_transpose(n, wind_bar, gu_bar);
    }
}

fn n_cells<T: Real>(ns: &NavierStokes<T>) -> usize {
    ns.config.n * ns.config.n
}

impl<T: Real> CotangentSink<T> for NsSink<'_, T> {
    fn rank_one(&mut self, lambda: &[T], u: &[T]) {
        let m = n_cells(self.ns);
        let up = self.ns.upwind;
        let (lu, lv) = (&lambda[..m], &lambda[m..2 * m]);
        let (xu, xv) = (&u[..m], &u[m..2 * m]);
        self.contract(
            |k, nb| up.rank_one_bar(lu, xu, k, nb),
            |k, nb| up.rank_one_bar(lv, xv, k, nb),
        );
    }

    fn diagonal(&mut self, d: &[T]) {
        let m = n_cells(self.ns);
        let up = self.ns.upwind;
        let (du, dv) = (&d[..m], &d[m..2 * m]);
        self.contract(|k, _| up.diagonal_bar(du, k), |k, _| up.diagonal_bar(dv, k));
    }
}
