//! PNG figures with plotters (DejaVu Sans embedded, so no system fonts are needed).

use std::path::Path;
use std::sync::Once;

use anyhow::{Context, Result};
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

const PALETTE: [RGBColor; 12] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
    RGBColor(174, 199, 232),
    RGBColor(255, 187, 120),
    RGBColor(0, 0, 0),
    RGBColor(214, 39, 40),
];

/// The colour of series `i` of `n`: the last two series (the converged baseline and PRDP in
/// the PRDP figures) are black and red whatever `n` is.
pub fn colour(i: usize, n: usize) -> RGBColor {
    match n - i {
        2 if n >= 2 => PALETTE[10],
        1 => PALETTE[11],
        _ => PALETTE[i % 10],
    }
}

fn fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Registration only fails for an unparsable font; the embedded one parses.
        let _ = register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular());
    });
}

/// One curve, optionally with a shaded band (e.g. mean ± std over seeds).
#[derive(Debug, Clone, Default)]
pub struct Series {
    /// Legend label.
    pub label: String,
    /// Abscissae.
    pub x: Vec<f64>,
    /// Ordinates.
    pub y: Vec<f64>,
    /// Lower and upper edges of the band, same length as `x`.
    pub band: Option<(Vec<f64>, Vec<f64>)>,
}

/// A line chart.
#[derive(Debug, Clone, Default)]
pub struct LineChart {
    /// Title.
    pub title: String,
    /// x-axis label.
    pub x_label: String,
    /// y-axis label.
    pub y_label: String,
    /// Logarithmic y axis.
    pub log_y: bool,
    /// Logarithmic x axis.
    pub log_x: bool,
    /// The curves.
    pub series: Vec<Series>,
}

fn range(values: impl Iterator<Item = f64>, log: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite() && (!log || *v > 0.0)) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (if log { 1e-3 } else { 0.0 }, 1.0);
    }
    if log {
        (lo / 1.5, hi * 1.5)
    } else if hi == lo {
        (lo - 1.0, hi + 1.0)
    } else {
        let pad = 0.05 * (hi - lo);
        (lo - pad, hi + pad)
    }
}

/// Axis tick labels: at most four significant digits, scientific outside [0.01, 10⁴).
fn sci(v: &f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if !(1e-2..1e4).contains(&a) {
        let m = format!("{v:.1e}");
        m.replace(".0e", "e")
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// Draws `chart` into a PNG at `path`.
pub fn line_chart(path: &Path, chart: &LineChart) -> Result<()> {
    fonts();
    let root = BitMapBackend::new(path, (900, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    let all_y = chart.series.iter().flat_map(|s| {
        let band = s.band.iter().flat_map(|(l, u)| l.iter().chain(u.iter()));
        s.y.iter().chain(band).copied().collect::<Vec<_>>()
    });
    let (y0, y1) = range(all_y, chart.log_y);
    let (x0, x1) = range(
        chart.series.iter().flat_map(|s| s.x.iter().copied()),
        chart.log_x,
    );
    let mut builder = ChartBuilder::on(&root);
    builder
        .caption(&chart.title, ("sans-serif", 24))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(75);
    macro_rules! draw {
        ($ctx:expr) => {{
            let mut ctx = $ctx;
            ctx.configure_mesh()
                .x_desc(&chart.x_label)
                .y_desc(&chart.y_label)
                .x_label_formatter(&sci)
                .y_label_formatter(&sci)
                .label_style(("sans-serif", 15))
                .draw()?;
            let n = chart.series.len();
            for (i, s) in chart.series.iter().enumerate() {
                let c = colour(i, n);
                if let Some((lo, hi)) = &s.band {
                    let mut poly: Vec<(f64, f64)> =
                        s.x.iter().copied().zip(hi.iter().copied()).collect();
                    poly.extend(s.x.iter().copied().zip(lo.iter().copied()).rev());
                    let poly: Vec<(f64, f64)> = poly
                        .into_iter()
                        .map(|(x, y)| (x, if chart.log_y { y.max(y0) } else { y }))
                        .collect();
                    ctx.draw_series(std::iter::once(Polygon::new(poly, c.mix(0.2).filled())))?;
                }
                let pts: Vec<(f64, f64)> = s
                    .x
                    .iter()
                    .copied()
                    .zip(s.y.iter().copied())
                    .filter(|(x, y)| x.is_finite() && y.is_finite() && (!chart.log_y || *y > 0.0))
                    .collect();
                ctx.draw_series(LineSeries::new(pts, c.stroke_width(2)))?
                    .label(s.label.clone())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(3))
                    });
            }
            ctx.configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .label_font(("sans-serif", 15))
                .draw()?;
        }};
    }
    match (chart.log_x, chart.log_y) {
        (false, false) => draw!(builder.build_cartesian_2d(x0..x1, y0..y1)?),
        (false, true) => draw!(builder.build_cartesian_2d(x0..x1, (y0..y1).log_scale())?),
        (true, false) => draw!(builder.build_cartesian_2d((x0..x1).log_scale(), y0..y1)?),
        (true, true) => {
            draw!(builder.build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())?)
        }
    }
    root.present()
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// One stacked bar: a label and (segment label, value) pairs from the bottom up.
#[derive(Debug, Clone)]
pub struct Bar {
    /// Label under the bar.
    pub label: String,
    /// Stacked segments.
    pub segments: Vec<(String, f64)>,
}

/// Draws stacked bars into a PNG at `path`; segments with the same label share a colour.
pub fn bar_chart(path: &Path, title: &str, y_label: &str, bars: &[Bar]) -> Result<()> {
    fonts();
    let root = BitMapBackend::new(path, (900, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    let top = bars
        .iter()
        .map(|b| b.segments.iter().map(|s| s.1).sum::<f64>())
        .fold(0.0, f64::max)
        .max(1e-12)
        * 1.1;
    let mut names: Vec<String> = Vec::new();
    for b in bars {
        for (n, _) in &b.segments {
            if !names.contains(n) {
                names.push(n.clone());
            }
        }
    }
    let mut ctx = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 24))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(85)
        .build_cartesian_2d((0..bars.len()).into_segmented(), 0.0..top)?;
    ctx.configure_mesh()
        .disable_x_mesh()
        .y_desc(y_label)
        .y_label_formatter(&sci)
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => {
                bars.get(*i).map(|b| b.label.clone()).unwrap_or_default()
            }
            SegmentValue::Last => String::new(),
        })
        .label_style(("sans-serif", 16))
        .draw()?;
    for (ni, name) in names.iter().enumerate() {
        let c = PALETTE[ni % PALETTE.len()];
        let rects: Vec<Rectangle<(SegmentValue<usize>, f64)>> = bars
            .iter()
            .enumerate()
            .filter_map(|(i, b)| {
                let pos = b.segments.iter().position(|s| &s.0 == name)?;
                let base: f64 = b.segments[..pos].iter().map(|s| s.1).sum();
                let v = b.segments[pos].1;
                let mut r = Rectangle::new(
                    [
                        (SegmentValue::Exact(i), base),
                        (SegmentValue::Exact(i + 1), base + v),
                    ],
                    c.filled(),
                );
                r.set_margin(0, 0, 40, 40);
                Some(r)
            })
            .collect();
        ctx.draw_series(rects)?
            .label(name.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], c.filled()));
    }
    ctx.configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 15))
        .draw()?;
    root.present()
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_render_to_png() {
        let dir = std::env::temp_dir().join(format!("prdp-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let s = Series {
            label: "K = 1".into(),
            x: vec![0.0, 1.0, 2.0],
            y: vec![1.0, 0.1, 0.01],
            band: Some((vec![0.5, 0.05, 0.005], vec![2.0, 0.2, 0.02])),
        };
        let chart = LineChart {
            title: "validation".into(),
            x_label: "epoch".into(),
            y_label: "nMSE".into(),
            log_y: true,
            log_x: false,
            series: vec![s],
        };
        let p = dir.join("line.png");
        line_chart(&p, &chart).unwrap();
        let bars = [
            Bar {
                label: "baseline".into(),
                segments: vec![("spent".into(), 100.0)],
            },
            Bar {
                label: "PRDP".into(),
                segments: vec![("spent".into(), 30.0), ("saved".into(), 70.0)],
            },
        ];
        let q = dir.join("bars.png");
        bar_chart(&q, "cost", "iterations", &bars).unwrap();
        for f in [p, q] {
            let bytes = std::fs::read(&f).unwrap();
            assert_eq!(&bytes[1..4], b"PNG", "{}", f.display());
            assert!(bytes.len() > 5_000, "{} is suspiciously small", f.display());
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
