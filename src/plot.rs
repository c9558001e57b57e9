//! The loss plot: D's loss (red) and G's (blue) against steps, on a white canvas with axes.

use image::{Rgb, RgbImage};

const WIDTH: u32 = 800;
const HEIGHT: u32 = 400;
const MARGIN: u32 = 30;
pub const D_COLOUR: Rgb<u8> = Rgb([200, 40, 40]);
pub const G_COLOUR: Rgb<u8> = Rgb([40, 80, 200]);

/// Plots the series (step, loss); the y axis runs from 0 to the largest finite loss, and a grey
/// line marks every 1.0 of loss.
pub fn losses(d: &[(u64, f32)], g: &[(u64, f32)]) -> RgbImage {
    let mut canvas = RgbImage::from_pixel(WIDTH, HEIGHT, Rgb([255, 255, 255]));
    let last_step = d.iter().chain(g).map(|p| p.0).max().unwrap_or(1).max(1) as f32;
    let top = d.iter().chain(g).map(|p| p.1).filter(|l| l.is_finite()).fold(1.0f32, f32::max);
    let (w, h) = ((WIDTH - 2 * MARGIN) as f32, (HEIGHT - 2 * MARGIN) as f32);
    let to_pixel = |step: u64, loss: f32| {
        (MARGIN as f32 + step as f32 / last_step * w, (HEIGHT - MARGIN) as f32 - loss.clamp(0.0, top) / top * h)
    };
    for level in 1..=top.floor() as u32 {
        let y = to_pixel(0, level as f32).1 as u32;
        (MARGIN..WIDTH - MARGIN).for_each(|x| canvas.put_pixel(x, y, Rgb([225, 225, 225])));
    }
    (MARGIN..WIDTH - MARGIN).for_each(|x| canvas.put_pixel(x, HEIGHT - MARGIN, Rgb([0, 0, 0])));
    (MARGIN..=HEIGHT - MARGIN).for_each(|y| canvas.put_pixel(MARGIN, y, Rgb([0, 0, 0])));
    for (series, colour) in [(d, D_COLOUR), (g, G_COLOUR)] {
        for pair in series.windows(2) {
            let (a, b) = (to_pixel(pair[0].0, pair[0].1), to_pixel(pair[1].0, pair[1].1));
            line(&mut canvas, a, b, colour);
        }
        // Legend: a swatch per series in the top right corner.
        let x0 = WIDTH - MARGIN - if colour == D_COLOUR { 40 } else { 20 };
        for dx in 0..12 {
            for dy in 0..12 {
                canvas.put_pixel(x0 + dx, 8 + dy, colour);
            }
        }
    }
    canvas
}

fn line(canvas: &mut RgbImage, (x0, y0): (f32, f32), (x1, y1): (f32, f32), colour: Rgb<u8>) {
    let steps = (x1 - x0).abs().max((y1 - y0).abs()).ceil().max(1.0) as u32;
    for i in 0..=steps {
        let t = i as f32 / steps as f32;
        let (x, y) = (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t);
        if x >= 0.0 && y >= 0.0 && (x as u32) < canvas.width() && (y as u32) < canvas.height() {
            canvas.put_pixel(x as u32, y as u32, colour);
        }
    }
}
