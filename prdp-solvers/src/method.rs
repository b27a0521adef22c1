//! Choosing a solver by value (for configs), and solving with it.

use prdp_core::{LinearOperator, Real, invalid};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::program::{Params, run};
use crate::{Budget, SolveOptions, SolveReport, Workspace};

/// The preconditioner of CG when chosen by value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PreconditionerKind {
    /// No preconditioning.
    #[default]
    None,
    /// M = diag(A).
    Jacobi,
}

/// An iterative method, as a serde value (`{"kind": "gmres", "restart": 8}` in JSON,
/// `kind = "jacobi"` in TOML).
///
/// # Example
/// ```
/// use prdp_solvers::Method;
/// let m: Method = serde_json::from_str(r#"{"kind": "gmres", "restart": 2}"#).unwrap();
/// assert_eq!(m, Method::Gmres { restart: 2 });
/// assert!(serde_json::from_str::<Method>(r#"{"kind": "gmres", "restrat": 2}"#).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "MethodSpec", into = "MethodSpec")]
pub enum Method {
    /// Jacobi relaxation ([`crate::jacobi`]).
    Jacobi,
    /// Steepest descent ([`crate::steepest_descent`]).
    SteepestDescent,
    /// Conjugate gradients ([`crate::cg`]).
    Cg {
        /// Preconditioner.
        preconditioner: PreconditionerKind,
    },
    /// Restarted GMRES(m) ([`crate::gmres`]); an iteration is a restart cycle.
    Gmres {
        /// Restart length m (Arnoldi steps per cycle).
        restart: usize,
    },
    /// BiCGStab ([`crate::bicgstab`]).
    BiCgStab,
}

impl Method {
    /// A short name for reports and errors, e.g. `"GMRES(8)"`.
    pub fn name(&self) -> String {
        match self {
            Self::Jacobi => "Jacobi".into(),
            Self::SteepestDescent => "steepest descent".into(),
            Self::Cg {
                preconditioner: PreconditionerKind::None,
            } => "CG".into(),
            Self::Cg {
                preconditioner: PreconditionerKind::Jacobi,
            } => "Jacobi-preconditioned CG".into(),
            Self::Gmres { restart } => format!("GMRES({restart})"),
            Self::BiCgStab => "BiCGStab".into(),
        }
    }

    /// Checks the method's parameters.
    ///
    /// # Errors
    /// [`prdp_core::Error::InvalidArgument`] naming `restart` if it is zero.
    pub fn validate(&self) -> Result<()> {
        match self {
            Self::Gmres { restart: 0 } => {
                Err(invalid("restart", 0, "GMRES(m) needs m >= 1").into())
            }
            _ => Ok(()),
        }
    }

    /// Solves A x = b with this method under `budget`.
    ///
    /// # Errors
    /// Those of the chosen solver.
    pub fn solve<T: Real, A: LinearOperator<T> + ?Sized>(
        &self,
        a: &A,
        b: &[T],
        x: &mut [T],
        budget: &Budget,
        opts: &SolveOptions,
        ws: &mut Workspace<T>,
    ) -> Result<SolveReport> {
        with_program!(any, self, a, ws, |prog, w| run(
            &prog,
            a,
            b,
            x,
            Params { budget, opts },
            w,
            None
        ))
    }
}

/// The one dispatch from a [`Method`] to its step program: runs `$body` with `$prog` bound to
/// the program of `$method` (a `&Method`) and `$w` to the workspace. Mode `any` serves every
/// method ([`Method::solve`]); mode `reversible` serves the methods with exact reverse steps
/// (Jacobi, steepest descent, CG) and makes any other an error naming unrolled
/// differentiation, so that `$body` may use [`crate::program::Reversible`].
macro_rules! with_program {
    ($mode:ident, $method:expr, $a:expr, $ws:expr, |$prog:ident, $w:ident| $body:expr) => {
        match $method {
            $crate::Method::Jacobi => {
                $crate::jacobi::with_inverse_diagonal($a, $ws, |$prog, $w| $body)
            }
            $crate::Method::SteepestDescent => {
                let $prog = $crate::steepest::SteepestDescentProgram;
                let $w = $ws;
                $body
            }
            $crate::Method::Cg {
                preconditioner: $crate::PreconditionerKind::None,
            } => {
                let $prog = $crate::cg::CgProgram {
                    m: $crate::cg::CgPreconditioner::Identity,
                };
                let $w = $ws;
                $body
            }
            $crate::Method::Cg {
                preconditioner: $crate::PreconditionerKind::Jacobi,
            } => $crate::jacobi::with_inverse_diagonal($a, $ws, |jac, $w| {
                let $prog = $crate::cg::CgProgram {
                    m: $crate::cg::CgPreconditioner::Diagonal(jac.inv_d),
                };
                $body
            }),
            $crate::Method::Gmres { restart } => $crate::method::with_program!(
                @$mode $method,
                $crate::gmres::GmresProgram { restart: *restart },
                |$prog| { let $w = $ws; $body }
            ),
            $crate::Method::BiCgStab => $crate::method::with_program!(
                @$mode $method,
                $crate::bicgstab::BiCgStabProgram,
                |$prog| { let $w = $ws; $body }
            ),
        }
    };
    (@any $method:expr, $program:expr, |$prog:ident| $arm:block) => {{
        let $prog = $program;
        $arm
    }};
    (@reversible $method:expr, $program:expr, |$prog:ident| $arm:block) => {{
        let _forward_only = $program;
        Err($crate::method::unrolled_unsupported($method))
    }};
}
pub(crate) use with_program;

/// The error of a method without exact reverse steps asked to unroll.
pub(crate) fn unrolled_unsupported(m: &Method) -> crate::SolverError {
    crate::SolverError::Core(invalid(
        "mode",
        format!("unrolled with {}", m.name()),
        "unrolled differentiation is implemented for Jacobi, steepest descent and CG; use implicit mode",
    ))
}

/// The serialised form of [`Method`]: a flat table whose `kind` decides which other keys are
/// allowed (serde's tagged enums cannot reject unknown keys of unit variants).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MethodSpec {
    kind: MethodKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    restart: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    preconditioner: Option<PreconditionerKind>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum MethodKind {
    Jacobi,
    SteepestDescent,
    Cg,
    Gmres,
    BiCgStab,
}

impl TryFrom<MethodSpec> for Method {
    type Error = String;

    fn try_from(s: MethodSpec) -> Result<Self, String> {
        let only = |key: &str, allowed: bool, kind: &str| {
            if allowed {
                Ok(())
            } else {
                Err(format!("key `{key}` is not valid for method kind `{kind}`"))
            }
        };
        match s.kind {
            MethodKind::Gmres => {
                only("preconditioner", s.preconditioner.is_none(), "gmres")?;
                let restart = s
                    .restart
                    .ok_or("method kind `gmres` needs the key `restart`")?;
                if restart == 0 {
                    return Err("`restart` must be at least 1".into());
                }
                Ok(Self::Gmres { restart })
            }
            MethodKind::Cg => {
                only("restart", s.restart.is_none(), "cg")?;
                Ok(Self::Cg {
                    preconditioner: s.preconditioner.unwrap_or_default(),
                })
            }
            kind => {
                let name = match kind {
                    MethodKind::Jacobi => "jacobi",
                    MethodKind::SteepestDescent => "steepest_descent",
                    _ => "bi_cg_stab",
                };
                only("restart", s.restart.is_none(), name)?;
                only("preconditioner", s.preconditioner.is_none(), name)?;
                Ok(match kind {
                    MethodKind::Jacobi => Self::Jacobi,
                    MethodKind::SteepestDescent => Self::SteepestDescent,
                    _ => Self::BiCgStab,
                })
            }
        }
    }
}

impl From<Method> for MethodSpec {
    fn from(m: Method) -> Self {
        let (kind, restart, preconditioner) = match m {
            Method::Jacobi => (MethodKind::Jacobi, None, None),
            Method::SteepestDescent => (MethodKind::SteepestDescent, None, None),
            Method::Cg { preconditioner } => (MethodKind::Cg, None, Some(preconditioner)),
            Method::Gmres { restart } => (MethodKind::Gmres, Some(restart), None),
            Method::BiCgStab => (MethodKind::BiCgStab, None, None),
        };
        Self {
            kind,
            restart,
            preconditioner,
        }
    }
}
