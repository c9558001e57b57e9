//! The Parzen-window log-likelihood estimate of Goodfellow et al. 2014, as their parzen_ll.py
//! computes it: Gaussian kernels centred on generated samples, σ chosen on validation images.

use crate::eval::distance::Centres;
use crate::gpu::Gpu;
use crate::ops::distance::Reduction;

/// parzen_ll.py's candidates: numpy.logspace(-1, 0, 10).
pub fn sigma_range() -> Vec<f32> {
    (0..10).map(|i| 10f64.powf(-1.0 + i as f64 / 9.0) as f32).collect()
}

/// A mean log-likelihood and its standard error (std / √N, as parzen_ll.py).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Estimate {
    pub mean: f64,
    pub stderr: f64,
}

impl Estimate {
    pub fn of(values: &[f32]) -> Self {
        let n = values.len() as f64;
        let mean = values.iter().map(|&v| v as f64).sum::<f64>() / n;
        let variance = values.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n;
        Self { mean, stderr: variance.sqrt() / n.sqrt() }
    }
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Parzen {
    pub sigma: f32,
    /// Mean log-likelihood of the test images.
    pub test: Estimate,
    /// Mean log-likelihood of the validation images for each candidate σ.
    pub validation: Vec<(f32, f64)>,
}

/// The σ of `candidates` under which `validation` is most likely, with every candidate's mean.
pub fn select_sigma(
    gpu: &Gpu,
    centres: &Centres,
    validation: &[f32],
    candidates: &[f32],
) -> anyhow::Result<(f32, Vec<(f32, f64)>)> {
    let reductions: Vec<Reduction> = candidates.iter().map(|&sigma| Reduction::Parzen { sigma }).collect();
    let scores: Vec<(f32, f64)> = centres
        .reduce(gpu, &reductions, validation)?
        .iter()
        .zip(candidates)
        .map(|(values, &sigma)| (sigma, Estimate::of(values).mean))
        .collect();
    let best = scores.iter().copied().fold((candidates[0], f64::NEG_INFINITY), |b, s| if s.1 > b.1 { s } else { b });
    Ok((best.0, scores))
}

/// The Parzen estimate of `test` under kernels centred on `samples`, σ chosen on `validation`.
pub fn parzen(gpu: &Gpu, samples: &[f32], validation: &[f32], test: &[f32], dims: usize) -> anyhow::Result<Parzen> {
    let centres = Centres::new(gpu, samples, dims);
    let (sigma, scores) = select_sigma(gpu, &centres, validation, &sigma_range())?;
    let values = centres.reduce(gpu, &[Reduction::Parzen { sigma }], test)?;
    Ok(Parzen { sigma, test: Estimate::of(&values[0]), validation: scores })
}
