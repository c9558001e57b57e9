//! How good a generator is, in figures: the paper's Parzen-window log-likelihood, what a
//! classifier trained on the real digits makes of the samples, and how close the samples lie to
//! the training images. Reference rows (real images, an untrained generator) give each figure a
//! scale.

pub mod classifier;
pub mod distance;
pub mod metrics;
pub mod parzen;
pub mod quick;

use std::time::Instant;

use classifier::Classifier;
use metrics::{ClassMetrics, Gaussian};
use parzen::Parzen;

use crate::data::Dataset;
use crate::gpu::Gpu;

/// Goodfellow et al. 2014, Table 1: the GAN's Parzen estimate on MNIST.
pub const PAPER_PARZEN: (f64, f64) = (225.0, 2.0);

#[derive(Clone, Debug)]
pub struct EvalOptions {
    /// Generated samples: the Parzen kernels' centres and the classifier's inputs.
    pub samples: usize,
    /// Validation images that choose σ (parzen_ll.py: the first 1,000 of train[50000:60000]).
    pub validation: usize,
    /// Samples (and test images) whose nearest training image is searched for.
    pub memorisation: usize,
}

impl Default for EvalOptions {
    fn default() -> Self {
        Self { samples: 10_000, validation: 1_000, memorisation: 1_000 }
    }
}

/// Every figure for one set of images.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Row {
    pub name: String,
    pub parzen: Parzen,
    pub classes: ClassMetrics,
    /// Between the classifier's last hidden features of these images and of the test set.
    pub frechet_distance: f64,
    /// Mean Euclidean distance from an image to its nearest training image.
    pub nearest_train_distance: f64,
    /// nearest_train_distance / the same for test images: near 1 for a model that generalises,
    /// near 0 for one that copies its training set.
    pub memorisation_ratio: f64,
    pub seconds: f64,
}

/// What the rows are measured against, computed once.
pub struct Evaluator<'a> {
    gpu: &'a Gpu,
    classifier: &'a Classifier,
    options: EvalOptions,
    pixels: usize,
    train: Vec<f32>,
    validation: Vec<f32>,
    test: Vec<f32>,
    test_features: Gaussian,
    /// Mean distance from the first test images to their nearest training image.
    pub test_nearest_train_distance: f64,
}

impl<'a> Evaluator<'a> {
    pub fn new(gpu: &'a Gpu, data: &Dataset, classifier: &'a Classifier, options: EvalOptions) -> anyhow::Result<Self> {
        let pixels = data.train.size();
        let train = data.train.to_f32();
        // parzen_ll.py validates on train[50000:60000], the last 10,000 training images, which the
        // real-data row (the first images) does not include; a smaller set validates on its tail.
        let count = data.train.count;
        anyhow::ensure!(options.validation < count, "{} validation images of {count}", options.validation);
        let validation_start =
            if count >= 10_000 + options.validation { count - 10_000 } else { count - options.validation };
        let validation_end = validation_start + options.validation;
        let validation = train[validation_start * pixels..validation_end * pixels].to_vec();
        let test = data.test.to_f32();
        let predictions = classifier.predict(gpu, &test)?;
        let test_features = Gaussian::fit(&predictions.features, predictions.feature_dims);
        let queries = &test[..options.memorisation.min(data.test.count) * pixels];
        let test_nearest_train_distance = mean_nearest(gpu, queries, &train, pixels)?;
        Ok(Self {
            gpu,
            classifier,
            options,
            pixels,
            train,
            validation,
            test,
            test_features,
            test_nearest_train_distance,
        })
    }

    /// The figures of `images` (rows of `pixels` values in [0, 1], `options.samples` of them).
    pub fn row(&self, name: &str, images: &[f32]) -> anyhow::Result<Row> {
        let started = Instant::now();
        let gpu = self.gpu;
        let parzen = parzen::parzen(gpu, images, &self.validation, &self.test, self.pixels)?;
        let predictions = self.classifier.predict(gpu, images)?;
        let classes = metrics::class_metrics(&predictions.probs, self.classifier.classes);
        let features = Gaussian::fit(&predictions.features, predictions.feature_dims);
        let frechet_distance = metrics::frechet_distance(&features, &self.test_features);
        let count = self.options.memorisation.min(images.len() / self.pixels);
        let nearest_train_distance = mean_nearest(gpu, &images[..count * self.pixels], &self.train, self.pixels)?;
        Ok(Row {
            name: name.into(),
            parzen,
            classes,
            frechet_distance,
            nearest_train_distance,
            memorisation_ratio: nearest_train_distance / self.test_nearest_train_distance,
            seconds: started.elapsed().as_secs_f64(),
        })
    }
}

/// Images from a .npy file, for scoring samples made elsewhere (PyTorch's, for example): a float32 or
/// float64 array of N images of `pixels` values in [0, 1] (N×784, or N×28×28, N×1×28×28 for MNIST).
pub fn read_samples(path: &std::path::Path, pixels: usize) -> anyhow::Result<Vec<f32>> {
    let values = crate::data::read_npy_rows(path, pixels, "images")?;
    anyhow::ensure!(values.len() >= 2 * pixels, "{} holds one image; the figures need at least two", path.display());
    if let Some((i, v)) = values.iter().enumerate().find(|(_, v)| !(0.0..=1.0).contains(*v)) {
        anyhow::bail!("{}: value {v} at image {}, pixel {} is outside [0, 1]", path.display(), i / pixels, i % pixels);
    }
    Ok(values)
}

/// Mean Euclidean distance from each query to its nearest image of `images`.
fn mean_nearest(gpu: &Gpu, queries: &[f32], images: &[f32], pixels: usize) -> anyhow::Result<f64> {
    let squared = distance::nearest(gpu, queries, images, pixels, 10_000)?;
    Ok(squared.iter().map(|&d| (d as f64).sqrt()).sum::<f64>() / squared.len() as f64)
}

/// A readable table of rows, with the paper's figure for scale.
pub fn summary(rows: &[Row]) -> String {
    let mut out = String::from(
        "| images | Parzen log-likelihood | σ | classes ≥2% | KL from uniform | confidence | inception score | Fréchet distance | nearest-train ratio |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    out.push_str(&format!(
        "| Goodfellow et al. 2014, Table 1 | {} ± {} | | | | | | | |\n",
        PAPER_PARZEN.0, PAPER_PARZEN.1
    ));
    for r in rows {
        out.push_str(&format!(
            "| {} | {:.1} ± {:.1} | {:.3} | {} | {:.3} | {:.3} | {:.2} | {:.2} | {:.3} |\n",
            r.name,
            r.parzen.test.mean,
            r.parzen.test.stderr,
            r.parzen.sigma,
            r.classes.classes_covered,
            r.classes.kl_from_uniform,
            r.classes.mean_confidence,
            r.classes.inception_score,
            r.frechet_distance,
            r.memorisation_ratio
        ));
    }
    out.push_str(&digit_shares(rows));
    out
}

/// The share of each digit as the classifier predicts it, in percent, with the smallest and largest:
/// the spread behind the KL column.
fn digit_shares(rows: &[Row]) -> String {
    let classes = rows.first().map_or(0, |r| r.classes.shares.len());
    let digits: String = (0..classes).map(|c| format!(" {c} |")).collect();
    let mut out =
        format!("\n| images (% of samples per digit) |{digits} fewest–most |\n|---|{}---|\n", "---|".repeat(classes));
    for r in rows {
        let percent: Vec<f64> = r.classes.shares.iter().map(|s| 100.0 * s).collect();
        let cells: String = percent.iter().map(|p| format!(" {p:.1} |")).collect();
        let fewest = percent.iter().copied().fold(f64::INFINITY, f64::min);
        let most = percent.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        out.push_str(&format!("| {} |{cells} {fewest:.1}–{most:.1} |\n", r.name));
    }
    out
}
