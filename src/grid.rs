//! Grids of digits as images: data previews and generated samples.

use image::{GrayImage, Luma};

/// 3×5 glyphs of the digits 0-9, one row per u8 (bits 2..0 left to right).
const GLYPHS: [[u8; 5]; 10] = [
    [0b111, 0b101, 0b101, 0b101, 0b111],
    [0b010, 0b110, 0b010, 0b010, 0b111],
    [0b111, 0b001, 0b111, 0b100, 0b111],
    [0b111, 0b001, 0b111, 0b001, 0b111],
    [0b101, 0b101, 0b111, 0b001, 0b001],
    [0b111, 0b100, 0b111, 0b001, 0b111],
    [0b111, 0b100, 0b111, 0b101, 0b111],
    [0b111, 0b001, 0b010, 0b010, 0b010],
    [0b111, 0b101, 0b111, 0b101, 0b111],
    [0b111, 0b101, 0b111, 0b001, 0b111],
];

const GAP: u32 = 2;
const GLYPH_SCALE: u32 = 2;
const LABEL_HEIGHT: u32 = 5 * GLYPH_SCALE + 2;

/// Generated samples, `pixels` values each (a square image), as a grid 10 wide: what `generate`,
/// the epoch grids and `final.png` show.
pub fn samples_grid(samples: &[f32], pixels: usize) -> GrayImage {
    let side = (pixels as f64).sqrt() as usize;
    let images: Vec<&[f32]> = samples.chunks(pixels).collect();
    digit_grid(&images, side, 10, None)
}

/// Lays out `images` (each `side`×`side` values in [0, 1], row-major, white on black) in a grid
/// `columns` wide, optionally with a label under each.
pub fn digit_grid(images: &[&[f32]], side: usize, columns: usize, labels: Option<&[u8]>) -> GrayImage {
    let side = side as u32;
    let columns = columns.max(1) as u32;
    let rows = (images.len() as u32).div_ceil(columns);
    let cell_w = side + GAP;
    let cell_h = side + GAP + if labels.is_some() { LABEL_HEIGHT } else { 0 };
    let mut grid = GrayImage::from_pixel(columns * cell_w + GAP, rows * cell_h + GAP, Luma([40]));
    for (i, image) in images.iter().enumerate() {
        let (x0, y0) = (GAP + (i as u32 % columns) * cell_w, GAP + (i as u32 / columns) * cell_h);
        for (j, &v) in image.iter().enumerate() {
            let shade = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
            grid.put_pixel(x0 + j as u32 % side, y0 + j as u32 / side, Luma([shade]));
        }
        if let Some(label) = labels.and_then(|l| l.get(i)) {
            draw_digit(&mut grid, *label, x0 + side / 2 - 3 * GLYPH_SCALE / 2, y0 + side + 1);
        }
    }
    grid
}

fn draw_digit(grid: &mut GrayImage, digit: u8, x0: u32, y0: u32) {
    let Some(glyph) = GLYPHS.get(digit as usize) else {
        return;
    };
    for (row, bits) in glyph.iter().enumerate() {
        for col in 0..3u32 {
            if bits >> (2 - col) & 1 == 1 {
                for dy in 0..GLYPH_SCALE {
                    for dx in 0..GLYPH_SCALE {
                        grid.put_pixel(x0 + col * GLYPH_SCALE + dx, y0 + row as u32 * GLYPH_SCALE + dy, Luma([255]));
                    }
                }
            }
        }
    }
}
