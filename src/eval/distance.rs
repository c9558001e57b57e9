//! Per-image reductions over the distances to a set of images, on the GPU: the Parzen-window
//! log-likelihood and the nearest-neighbour distance. Queries go through in chunks so that the
//! chunk's dot products with every centre fit in one buffer.

use anyhow::Context;

use crate::gpu::{Gpu, Tensor};
use crate::ops::activation::Activation;
use crate::ops::distance::{self, Reduction};
use crate::ops::matmul::{self, Layout};

/// Largest dot-product block computed at once: 16 Mi values (64 MiB).
const MAX_DOTS: usize = 16 << 20;

/// Images on the GPU that queries are measured against, with their squared norms.
pub struct Centres {
    images: Tensor,
    norms: Tensor,
}

impl Centres {
    /// `images`: count × dims values.
    pub fn new(gpu: &Gpu, images: &[f32], dims: usize) -> Self {
        let count = images.len() / dims;
        let images = Tensor::from_slice(gpu, &[count, dims], images);
        let norms = Tensor::zeros(gpu, &[count]);
        let op = distance::squared_norms(gpu, &images, &norms);
        gpu.run(|pass| op.record(pass));
        Self { images, norms }
    }

    pub fn count(&self) -> usize {
        self.images.shape()[0]
    }

    fn dims(&self) -> usize {
        self.images.shape()[1]
    }

    /// For each reduction, its value for every query image (rows of `queries`).
    pub fn reduce(&self, gpu: &Gpu, reductions: &[Reduction], queries: &[f32]) -> anyhow::Result<Vec<Vec<f32>>> {
        let total = queries.len() / self.dims();
        self.reduce_in_chunks(gpu, reductions, queries, (MAX_DOTS / self.count()).clamp(1, total.max(1)))
    }

    /// [`Centres::reduce`], `chunk` queries at a time.
    pub fn reduce_in_chunks(
        &self,
        gpu: &Gpu,
        reductions: &[Reduction],
        queries: &[f32],
        chunk: usize,
    ) -> anyhow::Result<Vec<Vec<f32>>> {
        let dims = self.dims();
        assert!(queries.len().is_multiple_of(dims), "queries are rows of {dims} values");
        let total = queries.len() / dims;
        let rows = Tensor::zeros(gpu, &[chunk, dims]);
        let row_norms = Tensor::zeros(gpu, &[chunk]);
        let dots = Tensor::zeros(gpu, &[chunk, self.count()]);
        let results: Vec<Tensor> = reductions.iter().map(|_| Tensor::zeros(gpu, &[chunk])).collect();
        let mut ops = vec![
            distance::squared_norms(gpu, &rows, &row_norms),
            matmul::matmul(gpu, Layout::TransposeB, &rows, &self.images, None, Activation::Identity, &dots),
        ];
        for (&reduction, result) in reductions.iter().zip(&results) {
            ops.push(distance::reduce(gpu, reduction, dims, &dots, &row_norms, &self.norms, result));
        }
        let mut out = vec![Vec::with_capacity(total); reductions.len()];
        for start in (0..total).step_by(chunk) {
            let n = chunk.min(total - start);
            let mut block = queries[start * dims..(start + n) * dims].to_vec();
            // The last chunk is padded with blank images whose results are dropped.
            block.resize(chunk * dims, 0.0);
            rows.write(gpu, &block);
            gpu.run(|pass| ops.iter().for_each(|op| op.record(pass)));
            for (values, result) in out.iter_mut().zip(&results) {
                let read = result.read_blocking(gpu).context("reading distances back")?;
                values.extend_from_slice(&read[..n]);
            }
        }
        Ok(out)
    }
}

/// The squared distance from each query to its nearest image in `centres`, which may be larger
/// than fits at once: they are taken `per_block` images at a time.
pub fn nearest(gpu: &Gpu, queries: &[f32], centres: &[f32], dims: usize, per_block: usize) -> anyhow::Result<Vec<f32>> {
    let mut best = vec![f32::INFINITY; queries.len() / dims];
    for block in centres.chunks(per_block * dims) {
        let found = Centres::new(gpu, block, dims).reduce(gpu, &[Reduction::Nearest], queries)?;
        best.iter_mut().zip(&found[0]).for_each(|(b, &f)| *b = b.min(f));
    }
    Ok(best)
}
