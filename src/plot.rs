//! The run's plots, drawn with plotters into PNG files: D's and G's losses against steps, and the
//! validation scores against epochs. The font is embedded (assets/), so no system fonts are needed.

use std::sync::Once;

use image::RgbImage;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

const SIZE: (u32, u32) = (900, 420);
pub const D_COLOUR: RGBColor = RGBColor(200, 40, 40);
pub const G_COLOUR: RGBColor = RGBColor(40, 80, 200);
const FONT: &str = "sans-serif";

fn register_embedded_font() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        let bytes = include_bytes!("../assets/DejaVuSansMono.ttf");
        let registered = register_font(FONT, FontStyle::Normal, bytes).is_ok();
        assert!(registered, "the embedded font is a valid TrueType font");
    });
}

/// Draws with `draw` onto a white canvas of `size` and returns the picture.
fn picture(
    size: (u32, u32),
    draw: impl FnOnce(DrawingArea<BitMapBackend, plotters::coord::Shift>) -> Result<(), String>,
) -> anyhow::Result<RgbImage> {
    register_embedded_font();
    let mut pixels = vec![0u8; (size.0 * size.1 * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow::anyhow!("plot: {e}"))?;
        draw(root).map_err(|e| anyhow::anyhow!("plot: {e}"))?;
    }
    Ok(RgbImage::from_raw(size.0, size.1, pixels).expect("the buffer has the picture's size"))
}

/// The mean of each point's `window` neighbours (fewer at the ends): a readable trend over noisy
/// per-step losses.
fn smoothed(series: &[(u64, f32)], window: usize) -> Vec<(u64, f32)> {
    let half = window / 2;
    let mut sums = vec![0.0f64];
    series.iter().for_each(|p| sums.push(sums.last().unwrap() + p.1 as f64));
    (0..series.len())
        .map(|i| {
            let (lo, hi) = (i.saturating_sub(half), (i + half + 1).min(series.len()));
            (series[i].0, ((sums[hi] - sums[lo]) / (hi - lo) as f64) as f32)
        })
        .collect()
}

/// D's loss (red) and G's (blue) at every step, faint, with their moving averages over them; grey
/// lines mark the epochs.
pub fn losses(d: &[(u64, f32)], g: &[(u64, f32)], steps_per_epoch: u64) -> anyhow::Result<RgbImage> {
    let last = d.iter().chain(g).map(|p| p.0).max().unwrap_or(1).max(1);
    let finite = d.iter().chain(g).map(|p| p.1).filter(|l| l.is_finite());
    let top = finite.fold(1.0f32, f32::max) * 1.05;
    let window = (d.len() / 100).max(1);
    picture(SIZE, |root| {
        let mut chart = ChartBuilder::on(&root)
            .caption("Losses", (FONT, 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(55)
            .build_cartesian_2d(0u64..last, 0f32..top)
            .map_err(|e| e.to_string())?;
        chart
            .configure_mesh()
            .x_desc("step")
            .y_desc("BCE loss")
            .label_style((FONT, 13))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(|e| e.to_string())?;
        let epochs = (1..).map(|e| e * steps_per_epoch.max(1)).take_while(|&s| s < last);
        for step in epochs {
            let mark = LineSeries::new([(step, 0.0), (step, top)], RGBColor(220, 220, 220));
            chart.draw_series(mark).map_err(|e| e.to_string())?;
        }
        for (series, colour, name) in [(d, D_COLOUR, "D (discriminator)"), (g, G_COLOUR, "G (generator)")] {
            let clamp = |p: &(u64, f32)| (p.0, p.1.clamp(0.0, top));
            chart
                .draw_series(LineSeries::new(series.iter().map(clamp), colour.mix(0.25)))
                .map_err(|e| e.to_string())?;
            chart
                .draw_series(LineSeries::new(smoothed(series, window).iter().map(clamp), colour.stroke_width(2)))
                .map_err(|e| e.to_string())?
                .label(name)
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(2)));
        }
        chart
            .configure_series_labels()
            .label_font((FONT, 14))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(|e| e.to_string())
    })
}

/// One curve per panel, side by side: each a name and its (epoch, value) points.
pub fn curves(panels: &[(&str, Vec<(f64, f64)>)]) -> anyhow::Result<RgbImage> {
    let size = (560 * panels.len().max(1) as u32, SIZE.1 * 3 / 4);
    picture(size, |root| {
        for ((name, points), area) in panels.iter().zip(root.split_evenly((1, panels.len().max(1)))) {
            let last = points.iter().map(|p| p.0).fold(1.0, f64::max);
            let (lo, hi) =
                points.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
            let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
            let pad = ((hi - lo) * 0.08).max(1e-3);
            let mut chart = ChartBuilder::on(&area)
                .caption(*name, (FONT, 16))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(60)
                .build_cartesian_2d(0.0..last, (lo - pad)..(hi + pad))
                .map_err(|e| e.to_string())?;
            chart
                .configure_mesh()
                .x_desc("epoch")
                .x_labels((last as usize + 1).min(11))
                .x_label_formatter(&|x| format!("{x:.0}"))
                .label_style((FONT, 13))
                .light_line_style(WHITE.mix(0.0))
                .draw()
                .map_err(|e| e.to_string())?;
            chart
                .draw_series(LineSeries::new(points.iter().copied(), G_COLOUR.stroke_width(2)))
                .map_err(|e| e.to_string())?;
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 3, G_COLOUR.filled())))
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    })
}
