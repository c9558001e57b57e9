//! A quick score of a generator while it trains, on held-out training images (never the test set):
//! the Parzen estimate with 1,000 samples as centres, and where a classifier exists, its class
//! figures and the Fréchet distance to the held-out images. Lower than `eval`'s figures (fewer
//! centres), but it moves with them, so it can pick the best epoch.

use super::classifier::Classifier;
use super::metrics::{self, Gaussian};
use super::parzen;
use crate::generator::Generator;
use crate::gpu::Gpu;

/// Samples scored each time (the Parzen kernels' centres).
pub const SAMPLES: usize = 1_000;
/// Held-out images that choose σ; the rest are scored.
pub const SIGMA_IMAGES: usize = 1_000;
/// The seed of the samples' noise: the same z every time, so epochs differ only by G.
const SEED: u32 = 0;

/// One score, as a row of `metrics.csv`.
#[derive(Clone, Debug, PartialEq)]
pub struct Score {
    pub parzen: parzen::Estimate,
    pub sigma: f32,
    pub classes: Option<metrics::ClassMetrics>,
    pub frechet_distance: Option<f64>,
}

pub const CSV_HEADER: &str =
    "epoch,step,parzen,parzen_stderr,sigma,classes_covered,kl_from_uniform,inception_score,frechet_distance";

impl Score {
    /// The CSV fields after epoch and step (class figures empty without a classifier).
    pub fn csv(&self) -> String {
        let classes = match &self.classes {
            Some(c) => format!("{},{},{}", c.classes_covered, c.kl_from_uniform, c.inception_score),
            None => ",,".into(),
        };
        let frechet = self.frechet_distance.map(|f| f.to_string()).unwrap_or_default();
        format!("{},{},{},{classes},{frechet}", self.parzen.mean, self.parzen.stderr, self.sigma)
    }

    /// A few words for the progress line.
    pub fn brief(&self) -> String {
        let mut text = format!("val Parzen {:.1}", self.parzen.mean);
        if let Some(c) = &self.classes {
            text.push_str(&format!(", IS {:.2}, KL {:.3}", c.inception_score, c.kl_from_uniform));
        }
        if let Some(f) = self.frechet_distance {
            text.push_str(&format!(", FD {f:.1}"));
        }
        text
    }
}

/// What scores are measured against, prepared once.
pub struct QuickEval {
    pixels: usize,
    sigma_images: Vec<f32>,
    scored_images: Vec<f32>,
    classifier: Option<(Classifier, Gaussian)>,
}

impl QuickEval {
    /// `held_out`: images of `pixels` values in [0, 1] that the generator does not train on (more
    /// than [`SIGMA_IMAGES`]).
    pub fn new(gpu: &Gpu, held_out: &[f32], pixels: usize, classifier: Option<Classifier>) -> anyhow::Result<Self> {
        let count = held_out.len() / pixels;
        anyhow::ensure!(
            count > SIGMA_IMAGES,
            "scoring during training needs more than {SIGMA_IMAGES} held-out images; the run holds out {count}"
        );
        let (sigma_images, scored_images) = held_out.split_at(SIGMA_IMAGES * pixels);
        let classifier = classifier
            .map(|c| {
                let predictions = c.predict(gpu, scored_images)?;
                anyhow::Ok((c, Gaussian::fit(&predictions.features, predictions.feature_dims)))
            })
            .transpose()?;
        Ok(Self { pixels, sigma_images: sigma_images.to_vec(), scored_images: scored_images.to_vec(), classifier })
    }

    pub fn score(&self, gpu: &Gpu, generator: &Generator) -> anyhow::Result<Score> {
        let samples = pollster::block_on(generator.generate_gpu(gpu, SEED))?;
        let estimate = parzen::parzen(gpu, &samples, &self.sigma_images, &self.scored_images, self.pixels)?;
        let (classes, frechet_distance) = match &self.classifier {
            Some((classifier, held_out)) => {
                let predictions = classifier.predict(gpu, &samples)?;
                let classes = metrics::class_metrics(&predictions.probs, classifier.classes);
                let features = Gaussian::fit(&predictions.features, predictions.feature_dims);
                (Some(classes), Some(metrics::frechet_distance(&features, held_out)))
            }
            None => (None, None),
        };
        Ok(Score { parzen: estimate.test, sigma: estimate.sigma, classes, frechet_distance })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_progress_line_gives_each_figure_it_has() {
        let parzen = parzen::Estimate { mean: 118.25, stderr: 1.7 };
        let plain = Score { parzen, sigma: 0.2, classes: None, frechet_distance: None };
        assert_eq!(plain.brief(), "val Parzen 118.2");
        let classes = metrics::class_metrics(&[0.9, 0.1, 0.2, 0.8, 0.7, 0.3], 2);
        let kl = classes.kl_from_uniform;
        let scored = Score { classes: Some(classes.clone()), frechet_distance: Some(10.43), ..plain };
        let want = format!("val Parzen 118.2, IS {:.2}, KL {kl:.3}, FD 10.4", classes.inception_score);
        assert_eq!(scored.brief(), want);
        assert!(kl > 0.05, "two of three images are one digit: {kl}");
    }
}
