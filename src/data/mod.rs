//! MNIST and Fashion-MNIST: where to find them, download, verification and parsing.
//!
//! A dataset is looked for, in order: in an explicit directory (`--data-dir` or `MNIST_DIR`), in
//! the user cache (`~/.cache/gan-wgpu/<dataset>`), in the copy vendored in this repository (MNIST
//! only), and otherwise downloaded from its mirrors into the cache. Files may be gzipped (`.gz`)
//! or not; every file's decompressed SHA-256 is checked against the published value.

mod download;
pub mod idx;

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;

use crate::sha256_hex;

/// The rows of a .npy file: a float32 or float64 array of at least two `what`, each of `width`
/// values (N×width, or any N×… whose trailing sizes multiply to `width`), in C order.
pub fn read_npy_rows(path: &Path, width: usize, what: &str) -> anyhow::Result<Vec<f32>> {
    use anyhow::{Context, bail, ensure};
    use npyz::{DType, Order};
    let name = path.display();
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {name}"))?;
    let npy = npyz::NpyFile::new(&bytes[..]).with_context(|| format!("{name} is not a .npy file"))?;
    let shape = npy.shape().to_vec();
    let per_row: u64 = shape.iter().skip(1).product();
    ensure!(
        shape.len() >= 2 && per_row == width as u64 && shape[0] >= 1,
        "{name} holds an array of shape {shape:?}; expected N×{width} {what}"
    );
    ensure!(npy.order() == Order::C, "{name} is stored in Fortran order; save it with numpy's default C order");
    let descr = match npy.dtype() {
        DType::Plain(ts) => ts.to_string(),
        other => bail!("{name} holds {other:?}; expected float32 or float64 values"),
    };
    let truncated = |e| anyhow::anyhow!("{name} is truncated or damaged: {e}");
    Ok(match descr.as_str() {
        "<f4" | ">f4" => npy.into_vec::<f32>().map_err(truncated)?,
        "<f8" | ">f8" => npy.into_vec::<f64>().map_err(truncated)?.into_iter().map(|v| v as f32).collect(),
        other => bail!("{name} holds values of type {other}; expected float32 or float64 (<f4 or <f8)"),
    })
}

/// Environment variable naming a directory that holds the dataset's files.
pub const DATA_DIR_ENV: &str = "MNIST_DIR";

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("cannot read {path}: {error}")]
    Unreadable { path: PathBuf, error: std::io::Error },
    #[error("{path} is not a valid gzip file (truncated or corrupt): {error}")]
    Gzip { path: PathBuf, error: std::io::Error },
    #[error("{path} is not an IDX file of this kind: magic number {found:#010x}, expected {expected:#010x}")]
    BadMagic { path: PathBuf, expected: u32, found: u32 },
    #[error("{path} is truncated or too long: {actual} bytes, its header implies {expected}")]
    Truncated { path: PathBuf, expected: u64, actual: u64 },
    #[error("{images} holds {n_images} images of {rows}×{cols} but {labels} holds {n_labels} labels")]
    CountMismatch { images: PathBuf, labels: PathBuf, n_images: usize, n_labels: usize, rows: usize, cols: usize },
    #[error("{path} has SHA-256 {actual}, expected {expected}: the file is corrupt or not the published {name}")]
    Checksum { path: PathBuf, name: String, expected: String, actual: String },
    #[error("{dir} has no {file} (nor {file}.gz)")]
    Missing { dir: PathBuf, file: String },
    #[error(
        "could not download {file}; tried:\n  {}\nDownload the four files by hand into a directory and pass it with --data-dir \
         (or {DATA_DIR_ENV}).", attempts.join("\n  ")
    )]
    Download { file: String, attempts: Vec<String> },
    #[error("cannot write {path}: {error} (is the cache directory writable? --data-dir uses another directory)")]
    Unwritable { path: PathBuf, error: std::io::Error },
    #[error("{dataset} is not in {where_} and downloads are off")]
    NotFound { dataset: String, where_: String },
}

/// A file of a dataset: its name (without `.gz`) and the SHA-256 of its decompressed contents.
#[derive(Clone, Debug)]
pub struct FileSpec {
    pub name: String,
    pub sha256: String,
}

/// A dataset in the IDX layout of MNIST: four files and where to download them.
#[derive(Clone, Debug)]
pub struct DatasetSpec {
    /// Directory name in the cache, e.g. `mnist`.
    pub name: String,
    pub mirrors: Vec<String>,
    pub train_images: FileSpec,
    pub train_labels: FileSpec,
    pub test_images: FileSpec,
    pub test_labels: FileSpec,
}

fn file(name: &str, sha256: &str) -> FileSpec {
    FileSpec { name: name.into(), sha256: sha256.into() }
}

impl DatasetSpec {
    pub fn mnist() -> Self {
        Self {
            name: "mnist".into(),
            mirrors: vec![
                "https://ossci-datasets.s3.amazonaws.com/mnist".into(),
                "https://storage.googleapis.com/cvdf-datasets/mnist".into(),
                "http://yann.lecun.com/exdb/mnist".into(),
            ],
            train_images: file(
                "train-images-idx3-ubyte",
                "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            ),
            train_labels: file(
                "train-labels-idx1-ubyte",
                "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            ),
            test_images: file(
                "t10k-images-idx3-ubyte",
                "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            ),
            test_labels: file(
                "t10k-labels-idx1-ubyte",
                "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
            ),
        }
    }

    pub fn fashion_mnist() -> Self {
        Self {
            name: "fashion-mnist".into(),
            mirrors: vec!["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com".into()],
            train_images: file(
                "train-images-idx3-ubyte",
                "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            ),
            train_labels: file(
                "train-labels-idx1-ubyte",
                "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            ),
            test_images: file(
                "t10k-images-idx3-ubyte",
                "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            ),
            test_labels: file(
                "t10k-labels-idx1-ubyte",
                "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
            ),
        }
    }

    /// By name, as the command line spells it: `mnist` or `fashion-mnist`.
    pub fn named(name: &str) -> Option<Self> {
        match name {
            "mnist" => Some(Self::mnist()),
            "fashion-mnist" => Some(Self::fashion_mnist()),
            _ => None,
        }
    }

    fn files(&self) -> [&FileSpec; 4] {
        [&self.train_images, &self.train_labels, &self.test_images, &self.test_labels]
    }
}

/// Images and their labels: `count` images of `rows`×`cols` u8 pixels, row-major, one after another.
#[derive(Clone, Debug)]
pub struct Split {
    pub pixels: Vec<u8>,
    pub labels: Vec<u8>,
    pub count: usize,
    pub rows: usize,
    pub cols: usize,
}

impl Split {
    pub fn image(&self, i: usize) -> &[u8] {
        let size = self.rows * self.cols;
        &self.pixels[i * size..(i + 1) * size]
    }

    /// Pixels per image.
    pub fn size(&self) -> usize {
        self.rows * self.cols
    }

    /// Images `range` as their own split.
    pub fn subset(&self, range: std::ops::Range<usize>) -> Split {
        assert!(range.end <= self.count, "images {range:?} of a split of {}", self.count);
        Split {
            pixels: self.pixels[range.start * self.size()..range.end * self.size()].to_vec(),
            labels: self.labels[range.clone()].to_vec(),
            count: range.len(),
            rows: self.rows,
            cols: self.cols,
        }
    }

    /// Every pixel as f32 in [0, 1], as the models see them.
    pub fn to_f32(&self) -> Vec<f32> {
        self.pixels.iter().map(|&p| p as f32 * (1.0 / 255.0)).collect()
    }

    /// Mean pixel value in [0, 1].
    pub fn mean_pixel(&self) -> f64 {
        self.pixels.iter().map(|&p| p as u64).sum::<u64>() as f64 / (self.pixels.len() as f64 * 255.0)
    }
}

/// A loaded dataset and the directory it came from.
#[derive(Clone, Debug)]
pub struct Dataset {
    pub train: Split,
    pub test: Split,
    pub source: PathBuf,
}

/// Where to look for a dataset, and whether to download it.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// An explicit directory; when given, it is the only place looked at.
    pub data_dir: Option<PathBuf>,
    /// The cache; `None` means the user cache directory.
    pub cache_dir: Option<PathBuf>,
    /// The copy vendored in this repository, tried after the cache.
    pub vendored_dir: Option<PathBuf>,
    pub download: bool,
    pub progress: bool,
}

impl LoadOptions {
    /// The defaults of the command-line tools: `MNIST_DIR` if set, the user cache, this repository's
    /// vendored copy for MNIST, then download with a progress bar.
    pub fn for_cli(spec: &DatasetSpec, data_dir: Option<PathBuf>) -> Self {
        let data_dir = data_dir.or_else(|| std::env::var_os(DATA_DIR_ENV).map(PathBuf::from));
        let vendored = Path::new(env!("CARGO_MANIFEST_DIR")).join("data").join(&spec.name);
        Self {
            data_dir,
            cache_dir: None,
            vendored_dir: vendored.is_dir().then_some(vendored),
            download: true,
            progress: true,
        }
    }
}

/// `~/.cache/gan-wgpu/<dataset>` (or `$XDG_CACHE_HOME/gan-wgpu/<dataset>`).
pub fn user_cache_dir(dataset: &str) -> PathBuf {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("gan-wgpu").join(dataset)
}

/// The decompressed contents of `dir/<name>` or `dir/<name>.gz`, if either exists.
fn read_file(dir: &Path, name: &str) -> Result<Option<(PathBuf, Vec<u8>)>, DataError> {
    let gz = dir.join(format!("{name}.gz"));
    let plain = dir.join(name);
    if plain.is_file() {
        let bytes = fs::read(&plain).map_err(|error| DataError::Unreadable { path: plain.clone(), error })?;
        return Ok(Some((plain, bytes)));
    }
    if gz.is_file() {
        let compressed = fs::read(&gz).map_err(|error| DataError::Unreadable { path: gz.clone(), error })?;
        let mut bytes = Vec::new();
        GzDecoder::new(compressed.as_slice())
            .read_to_end(&mut bytes)
            .map_err(|error| DataError::Gzip { path: gz.clone(), error })?;
        return Ok(Some((gz, bytes)));
    }
    Ok(None)
}

fn verified(spec: &FileSpec, path: &Path, bytes: &[u8]) -> Result<(), DataError> {
    let actual = sha256_hex(bytes);
    if actual != spec.sha256 {
        return Err(DataError::Checksum {
            path: path.into(),
            name: spec.name.clone(),
            expected: spec.sha256.clone(),
            actual,
        });
    }
    Ok(())
}

/// Reads the four files from `dir`; Ok(None) if any is absent.
fn load_dir(spec: &DatasetSpec, dir: &Path) -> Result<Option<Dataset>, DataError> {
    let mut contents = Vec::new();
    for file in spec.files() {
        match read_file(dir, &file.name)? {
            Some((path, bytes)) => {
                verified(file, &path, &bytes)?;
                contents.push((path, bytes));
            }
            None => return Ok(None),
        }
    }
    let [train_images, train_labels, test_images, test_labels]: [(PathBuf, Vec<u8>); 4] = contents.try_into().unwrap();
    Ok(Some(Dataset {
        train: split(train_images, train_labels)?,
        test: split(test_images, test_labels)?,
        source: dir.into(),
    }))
}

fn split(
    (image_path, images): (PathBuf, Vec<u8>),
    (label_path, labels): (PathBuf, Vec<u8>),
) -> Result<Split, DataError> {
    let images = idx::parse(&image_path, images, 3)?;
    let labels = idx::parse(&label_path, labels, 1)?;
    let (count, rows, cols) = (images.dims[0], images.dims[1], images.dims[2]);
    if labels.dims[0] != count {
        return Err(DataError::CountMismatch {
            images: image_path,
            labels: label_path,
            n_images: count,
            n_labels: labels.dims[0],
            rows,
            cols,
        });
    }
    Ok(Split { pixels: images.data, labels: labels.data, count, rows, cols })
}

/// Loads a dataset from the first place that has it (see the module's documentation).
pub fn load(spec: &DatasetSpec, options: &LoadOptions) -> Result<Dataset, DataError> {
    if let Some(dir) = &options.data_dir {
        return load_dir(spec, dir)?.ok_or_else(|| {
            let missing = spec
                .files()
                .into_iter()
                .find(|f| !dir.join(&f.name).is_file() && !dir.join(format!("{}.gz", f.name)).is_file());
            DataError::Missing { dir: dir.clone(), file: missing.map_or_else(String::new, |f| f.name.clone()) }
        });
    }
    let cache = options.cache_dir.clone().unwrap_or_else(|| user_cache_dir(&spec.name));
    // A damaged cache is repaired by the download below.
    if let Ok(Some(dataset)) = load_dir(spec, &cache) {
        return Ok(dataset);
    }
    if let Some(vendored) = &options.vendored_dir
        && let Some(dataset) = load_dir(spec, vendored)?
    {
        return Ok(dataset);
    }
    if !options.download {
        return Err(DataError::NotFound { dataset: spec.name.clone(), where_: cache.display().to_string() });
    }
    fs::create_dir_all(&cache).map_err(|error| DataError::Unwritable { path: cache.clone(), error })?;
    for file in spec.files() {
        match read_file(&cache, &file.name) {
            Ok(Some((path, bytes))) if verified(file, &path, &bytes).is_ok() => continue,
            // Absent, or damaged: what is in the cache was written by this program, so replace it.
            Ok(Some((path, _))) | Err(DataError::Gzip { path, .. }) => {
                eprintln!("warning: {} in the cache is damaged; fetching it again", path.display());
                let _ = fs::remove_file(path);
            }
            Ok(None) => {}
            Err(e) => return Err(e),
        }
        download::fetch(&spec.mirrors, file, &cache, options.progress)?;
    }
    load_dir(spec, &cache)?
        .ok_or_else(|| DataError::NotFound { dataset: spec.name.clone(), where_: cache.display().to_string() })
}
