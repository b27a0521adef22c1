//! A minimal `.npy` (NumPy format version 1.0) writer and reader for `f32`/`f64` arrays.

use std::io::{Read, Write};
use std::path::Path;

use prdp_core::Real;

use crate::{PdeError, Result};

const MAGIC: &[u8] = b"\x93NUMPY";

fn descr<T: Real>() -> &'static str {
    if T::NAME == "f32" { "<f4" } else { "<f8" }
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> PdeError + '_ {
    move |source| PdeError::Io {
        path: path.to_owned(),
        source,
    }
}

fn format_err(path: &Path, reason: impl Into<String>) -> PdeError {
    PdeError::Format {
        path: path.to_owned(),
        reason: reason.into(),
    }
}

/// Writes `data` as a C-ordered little-endian array of shape `shape` to a `.npy` file.
///
/// # Errors
/// [`PdeError::Length`] if `data` does not have `shape`'s number of values; [`PdeError::Io`].
///
/// # Example
/// ```
/// let path = std::env::temp_dir().join("prdp_pde_doc_example.npy");
/// prdp_pde::write_npy(&path, &[2, 3], &[1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0])?;
/// let (shape, data) = prdp_pde::read_npy::<f32>(&path)?;
/// assert_eq!((shape, data[5]), (vec![2, 3], 6.0));
/// # Ok::<(), prdp_pde::PdeError>(())
/// ```
pub fn write_npy<T: Real>(path: &Path, shape: &[usize], data: &[T]) -> Result<()> {
    let count: usize = shape.iter().product();
    crate::error::check_len("array data", count, data.len(), || {
        format!("shape {shape:?}")
    })?;
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    let tuple = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let mut header = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {tuple}, }}",
        descr::<T>()
    );
    // Pad so that magic + version + length + header is a multiple of 64, ending in '\n'.
    let unpadded = MAGIC.len() + 2 + 2 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    let mut bytes = Vec::with_capacity(10 + header.len() + data.len() * 8);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&[1, 0]);
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    for v in data {
        if T::NAME == "f32" {
            bytes.extend_from_slice(&(v.as_f64() as f32).to_le_bytes());
        } else {
            bytes.extend_from_slice(&v.as_f64().to_le_bytes());
        }
    }
    let mut f = std::fs::File::create(path).map_err(io_err(path))?;
    f.write_all(&bytes).map_err(io_err(path))
}

/// Reads a `.npy` file written by [`write_npy`] (or NumPy): returns its shape and values.
///
/// # Errors
/// [`PdeError::Io`]; [`PdeError::Format`] for a bad magic string or header, Fortran order, or
/// a dtype other than `T`'s (`<f4` for `f32`, `<f8` for `f64`), or a truncated payload.
pub fn read_npy<T: Real>(path: &Path) -> Result<(Vec<usize>, Vec<T>)> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(io_err(path))?;
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err(format_err(path, "not a .npy file (bad magic string)"));
    }
    let (hlen, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        v => return Err(format_err(path, format!("unsupported .npy version {v}"))),
    };
    let header = bytes
        .get(start..start + hlen)
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or_else(|| format_err(path, "truncated or non-UTF-8 header"))?;
    let field = |key: &str| -> Option<&str> {
        let at = header.find(&format!("'{key}'"))? + key.len() + 2;
        Some(header[at..].trim_start().strip_prefix(':')?.trim_start())
    };
    let descr_v = field("descr")
        .and_then(|s| s.strip_prefix('\''))
        .and_then(|s| s.split('\'').next())
        .ok_or_else(|| format_err(path, "header has no 'descr'"))?;
    if descr_v != descr::<T>() {
        return Err(format_err(
            path,
            format!(
                "dtype is '{descr_v}', expected '{}' ({})",
                descr::<T>(),
                T::NAME
            ),
        ));
    }
    if field("fortran_order").is_none_or(|s| !s.starts_with("False")) {
        return Err(format_err(
            path,
            "only C-ordered arrays (fortran_order False) are supported",
        ));
    }
    let shape_s = field("shape")
        .and_then(|s| s.strip_prefix('('))
        .and_then(|s| s.split(')').next())
        .ok_or_else(|| format_err(path, "header has no 'shape'"))?;
    let shape = shape_s
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<usize>())
        .collect::<core::result::Result<Vec<_>, _>>()
        .map_err(|e| format_err(path, format!("bad shape '{shape_s}': {e}")))?;
    let count: usize = shape.iter().product();
    let width = if T::NAME == "f32" { 4 } else { 8 };
    let payload = &bytes[start + hlen..];
    if payload.len() != count * width {
        return Err(format_err(
            path,
            format!(
                "payload has {} bytes, shape {shape:?} needs {}",
                payload.len(),
                count * width
            ),
        ));
    }
    let data = payload
        .chunks_exact(width)
        .map(|c| {
            if width == 4 {
                T::of(f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64)
            } else {
                T::of(f64::from_le_bytes([
                    c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7],
                ]))
            }
        })
        .collect();
    Ok((shape, data))
}
