//! Figures computed from a classifier's outputs on a set of images: how the predicted digits
//! spread, how sure the classifier is, and how far the features lie from the test set's.

use nalgebra::{DMatrix, DVector, SymmetricEigen};

/// Share of each predicted class, and what follows from it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClassMetrics {
    /// Fraction of the images predicted as each class.
    pub shares: Vec<f64>,
    /// Classes that take at least 2% of the predictions.
    pub classes_covered: usize,
    /// KL(shares ‖ uniform), in nats: 0 when every class is equally frequent.
    pub kl_from_uniform: f64,
    /// Mean probability of the predicted class.
    pub mean_confidence: f64,
    /// exp(E_x KL(p(y|x) ‖ p(y))), Salimans et al. 2016, with the project's classifier.
    pub inception_score: f64,
}

/// The index of the most probable class of one row of probabilities (the first, on ties).
pub fn predicted_class(row: &[f32]) -> usize {
    (0..row.len()).fold(0, |b, c| if row[c] > row[b] { c } else { b })
}

/// The metrics of `probs`: one row of `classes` probabilities per image.
pub fn class_metrics(probs: &[f32], classes: usize) -> ClassMetrics {
    let rows: Vec<&[f32]> = probs.chunks(classes).collect();
    let n = rows.len() as f64;
    let mut shares = vec![0.0; classes];
    rows.iter().for_each(|row| shares[predicted_class(row)] += 1.0 / n);
    let uniform = 1.0 / classes as f64;
    let kl_from_uniform = shares.iter().filter(|&&s| s > 0.0).map(|&s| s * (s / uniform).ln()).sum();
    let mean_confidence = rows.iter().map(|row| row[predicted_class(row)] as f64).sum::<f64>() / n;
    let mut marginal = vec![0.0; classes];
    rows.iter().for_each(|row| row.iter().zip(&mut marginal).for_each(|(&p, m)| *m += p as f64 / n));
    let mean_kl = rows
        .iter()
        .map(|row| {
            row.iter()
                .zip(&marginal)
                .filter(|(p, _)| **p > 0.0)
                .map(|(&p, &m)| p as f64 * (p as f64 / m).ln())
                .sum::<f64>()
        })
        .sum::<f64>()
        / n;
    ClassMetrics {
        classes_covered: shares.iter().filter(|&&s| s >= 0.02).count(),
        shares,
        kl_from_uniform,
        mean_confidence,
        inception_score: mean_kl.exp(),
    }
}

/// Mean and covariance (unbiased, as numpy.cov) of rows of `dims` features.
pub struct Gaussian {
    pub mean: DVector<f64>,
    pub covariance: DMatrix<f64>,
}

impl Gaussian {
    pub fn fit(features: &[f32], dims: usize) -> Self {
        let n = features.len() / dims;
        assert!(n >= 2, "a covariance needs at least two rows");
        let x = DMatrix::from_row_iterator(n, dims, features.iter().map(|&v| v as f64));
        let mean = x.row_mean().transpose();
        let centred = DMatrix::from_fn(n, dims, |r, c| x[(r, c)] - mean[c]);
        let covariance = centred.tr_mul(&centred) / (n - 1) as f64;
        Self { mean, covariance }
    }
}

/// Square root of a symmetric positive semi-definite matrix; rounding's small negative
/// eigenvalues are taken as zero.
fn sqrt_psd(m: &DMatrix<f64>) -> DMatrix<f64> {
    let eigen = SymmetricEigen::new(m.clone());
    let roots = eigen.eigenvalues.map(|v| v.max(0.0).sqrt());
    &eigen.eigenvectors * DMatrix::from_diagonal(&roots) * eigen.eigenvectors.transpose()
}

/// The Fréchet distance between two Gaussians, Heusel et al. 2017:
/// |μ₁ - μ₂|² + tr(Σ₁ + Σ₂ - 2(Σ₁Σ₂)^½), with tr((Σ₁Σ₂)^½) = tr((Σ₁^½ Σ₂ Σ₁^½)^½), a
/// symmetric form whose eigenvalues are real.
pub fn frechet_distance(a: &Gaussian, b: &Gaussian) -> f64 {
    let root_a = sqrt_psd(&a.covariance);
    let middle = &root_a * &b.covariance * &root_a;
    let middle = (&middle + middle.transpose()) * 0.5;
    let cross_trace: f64 = SymmetricEigen::new(middle).eigenvalues.iter().map(|v| v.max(0.0).sqrt()).sum();
    (&a.mean - &b.mean).norm_squared() + a.covariance.trace() + b.covariance.trace() - 2.0 * cross_trace
}
