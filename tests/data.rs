//! The dataset loader: the real MNIST files, every bad-input case on small generated files, and
//! the download path against HTTP servers on 127.0.0.1.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use flate2::Compression;
use flate2::write::GzEncoder;
use gan_wgpu::data::{self, DataError, DatasetSpec, FileSpec, LoadOptions, idx};
use sha2::{Digest, Sha256};

mod common;

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A tiny dataset: 3 train and 2 test images of 2×2, with its files' IDX bytes and a spec whose
/// checksums are those of these bytes.
struct Tiny {
    spec: DatasetSpec,
    files: Vec<(String, Vec<u8>)>,
}

fn tiny() -> Tiny {
    let files = vec![
        ("train-images-idx3-ubyte".to_string(), idx::encode(&[3, 2, 2], &[0, 255, 0, 255, 10, 20, 30, 40, 1, 2, 3, 4])),
        ("train-labels-idx1-ubyte".to_string(), idx::encode(&[3], &[5, 0, 4])),
        ("t10k-images-idx3-ubyte".to_string(), idx::encode(&[2, 2, 2], &[9, 9, 9, 9, 8, 8, 8, 8])),
        ("t10k-labels-idx1-ubyte".to_string(), idx::encode(&[2], &[7, 2])),
    ];
    let spec_file = |i: usize| FileSpec { name: files[i].0.clone(), sha256: sha256(&files[i].1) };
    let spec = DatasetSpec {
        name: "tiny".into(),
        mirrors: vec![],
        train_images: spec_file(0),
        train_labels: spec_file(1),
        test_images: spec_file(2),
        test_labels: spec_file(3),
    };
    Tiny { spec, files }
}

/// Writes the files into a fresh directory, gzipped, after `edit` had its say on each one's bytes.
fn write_dir(files: &[(String, Vec<u8>)], edit: impl Fn(&str, Vec<u8>) -> Vec<u8>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.path().join(format!("{name}.gz")), edit(name, gzip(bytes))).unwrap();
    }
    dir
}

fn explicit(dir: &Path) -> LoadOptions {
    LoadOptions { data_dir: Some(dir.into()), ..Default::default() }
}

#[test]
fn real_mnist_parses_with_the_published_counts_labels_and_mean() {
    let dir = common::mnist_dir();
    let mnist = data::load(&DatasetSpec::mnist(), &explicit(&dir)).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    assert_eq!((mnist.train.count, mnist.train.rows, mnist.train.cols), (60000, 28, 28));
    assert_eq!(mnist.test.count, 10000);
    assert_eq!(mnist.train.labels[..5], [5, 0, 4, 1, 9]);
    assert_eq!(mnist.test.labels[..5], [7, 2, 1, 0, 4]);
    assert!((mnist.train.mean_pixel() - 0.1307).abs() < 5e-5, "train mean {}", mnist.train.mean_pixel());
    let mut counts = [0usize; 10];
    mnist.train.labels.iter().for_each(|&l| counts[l as usize] += 1);
    assert_eq!(counts, [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
}

#[test]
fn plain_and_gzipped_files_load_alike() {
    let t = tiny();
    let gz = write_dir(&t.files, |_, b| b);
    let plain = tempfile::tempdir().unwrap();
    for (name, bytes) in &t.files {
        std::fs::write(plain.path().join(name), bytes).unwrap();
    }
    for dir in [gz.path(), plain.path()] {
        let d = data::load(&t.spec, &explicit(dir)).unwrap();
        assert_eq!((d.train.count, d.train.rows, d.train.cols, d.test.count), (3, 2, 2, 2));
        assert_eq!(d.train.image(1), [10, 20, 30, 40]);
        assert_eq!(d.test.labels, [7, 2]);
    }
}

fn load_err(spec: &DatasetSpec, dir: &Path) -> DataError {
    data::load(spec, &explicit(dir)).expect_err("loading must fail")
}

#[test]
fn truncated_gzip_is_named() {
    let t = tiny();
    let dir =
        write_dir(&t.files, |name, b| if name.starts_with("train-images") { b[..b.len() / 2].to_vec() } else { b });
    let err = load_err(&t.spec, dir.path());
    assert!(matches!(err, DataError::Gzip { .. }), "{err:?}");
    assert!(err.to_string().contains("train-images-idx3-ubyte.gz"), "{err}");
}

/// Files whose structure is wrong but whose checksum is what the spec says: the parser must notice.
fn structurally_bad(t: &Tiny, name: &str, bytes: Vec<u8>) -> (DatasetSpec, tempfile::TempDir) {
    let mut spec = t.spec.clone();
    let files: Vec<_> =
        t.files.iter().map(|(n, b)| (n.clone(), if n == name { bytes.clone() } else { b.clone() })).collect();
    for f in [&mut spec.train_images, &mut spec.train_labels, &mut spec.test_images, &mut spec.test_labels] {
        if f.name == name {
            f.sha256 = sha256(&bytes);
        }
    }
    let dir = write_dir(&files, |_, b| b);
    (spec, dir)
}

#[test]
fn wrong_magic_is_named() {
    let t = tiny();
    // A label file where an image file belongs.
    let (spec, dir) = structurally_bad(&t, "t10k-images-idx3-ubyte", idx::encode(&[2], &[7, 2]));
    let err = load_err(&spec, dir.path());
    assert!(matches!(err, DataError::BadMagic { expected: 0x0803, found: 0x0801, .. }), "{err:?}");
    assert!(err.to_string().contains("t10k-images-idx3-ubyte"), "{err}");
}

#[test]
fn truncated_idx_is_named() {
    let t = tiny();
    let mut short = t.files[0].1.clone();
    short.truncate(short.len() - 3);
    let (spec, dir) = structurally_bad(&t, "train-images-idx3-ubyte", short);
    let err = load_err(&spec, dir.path());
    assert!(matches!(err, DataError::Truncated { expected: 28, actual: 25, .. }), "{err:?}");
}

#[test]
fn image_and_label_counts_must_agree() {
    let t = tiny();
    let (spec, dir) = structurally_bad(&t, "train-labels-idx1-ubyte", idx::encode(&[2], &[5, 0]));
    let err = load_err(&spec, dir.path());
    assert!(matches!(err, DataError::CountMismatch { n_images: 3, n_labels: 2, .. }), "{err:?}");
}

#[test]
fn checksum_mismatch_is_an_error() {
    let t = tiny();
    let mut files = t.files.clone();
    files[1].1[9] = 6; // a changed label: the file is still well formed
    let dir = write_dir(&files, |_, b| b);
    let err = load_err(&t.spec, dir.path());
    assert!(matches!(err, DataError::Checksum { .. }), "{err:?}");
    assert!(err.to_string().contains(&t.spec.train_labels.sha256), "{err}");
}

#[test]
fn missing_file_is_named() {
    let t = tiny();
    let dir = write_dir(&t.files[..3], |_, b| b);
    let err = load_err(&t.spec, dir.path());
    assert!(err.to_string().contains("t10k-labels-idx1-ubyte"), "{err}");
}

/// An HTTP server on 127.0.0.1 serving `routes` (path → body); anything else is a 404.
struct Server {
    server: Arc<tiny_http::Server>,
    thread: Option<std::thread::JoinHandle<()>>,
    url: String,
}

impl Server {
    fn start(routes: HashMap<String, Vec<u8>>) -> Self {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let url = format!("http://{}", server.server_addr().to_ip().unwrap());
        let serving = server.clone();
        let thread = std::thread::spawn(move || {
            for request in serving.incoming_requests() {
                let _ = match routes.get(request.url()) {
                    Some(body) => request.respond(tiny_http::Response::from_data(body.clone())),
                    None => request.respond(tiny_http::Response::empty(404)),
                };
            }
        });
        Self { server, thread: Some(thread), url }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.server.unblock();
        self.thread.take().unwrap().join().unwrap();
    }
}

/// A server with the files under `/good/` (gzipped) and `edit`ed copies under `/bad/`.
fn serve(files: &[(String, Vec<u8>)], edit: impl Fn(Vec<u8>) -> Vec<u8>) -> Server {
    let mut routes = HashMap::new();
    for (name, bytes) in files {
        routes.insert(format!("/good/{name}.gz"), gzip(bytes));
        routes.insert(format!("/bad/{name}.gz"), edit(gzip(bytes)));
    }
    Server::start(routes)
}

fn download_into(spec: &DatasetSpec, cache: &Path) -> Result<data::Dataset, DataError> {
    data::load(spec, &LoadOptions { cache_dir: Some(cache.into()), download: true, ..Default::default() })
}

#[test]
fn download_skips_a_failing_mirror_and_fills_the_cache() {
    let t = tiny();
    let server = serve(&t.files, |b| b);
    let mut spec = t.spec.clone();
    spec.mirrors = vec![format!("{}/missing", server.url), format!("{}/good", server.url)];
    let cache = tempfile::tempdir().unwrap();
    let d = download_into(&spec, cache.path()).unwrap();
    assert_eq!(d.train.labels, [5, 0, 4]);
    assert_eq!(d.source, cache.path());
    for (name, bytes) in &t.files {
        assert_eq!(&std::fs::read(cache.path().join(name)).unwrap(), bytes, "{name} in the cache");
    }
    // The second load reads the cache: with no mirrors left it still works.
    spec.mirrors.clear();
    assert_eq!(download_into(&spec, cache.path()).unwrap().test.labels, [7, 2]);
}

#[test]
fn corrupt_download_reports_every_mirror_and_leaves_nothing() {
    let t = tiny();
    let server = serve(&t.files, |b| b[..b.len() - 8].to_vec());
    let mut spec = t.spec.clone();
    spec.mirrors = vec![format!("{}/missing", server.url), format!("{}/bad", server.url)];
    let cache = tempfile::tempdir().unwrap();
    let err = download_into(&spec, cache.path()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("/missing/train-images-idx3-ubyte.gz") && text.contains("404"), "{text}");
    assert!(text.contains("/bad/train-images-idx3-ubyte.gz") && text.contains("gzip"), "{text}");
    assert!(text.contains("--data-dir"), "{text}");
    assert_eq!(std::fs::read_dir(cache.path()).unwrap().count(), 0, "a corrupt download was kept");
}

#[test]
fn checksum_mismatch_on_download_is_discarded() {
    let t = tiny();
    let mut wrong = t.files.clone();
    wrong[0].1[20] ^= 1;
    let server = serve(&wrong, |b| b);
    let mut spec = t.spec.clone();
    spec.mirrors = vec![format!("{}/good", server.url)];
    let cache = tempfile::tempdir().unwrap();
    let text = download_into(&spec, cache.path()).unwrap_err().to_string();
    assert!(text.contains("checksum mismatch") && text.contains(&spec.train_images.sha256), "{text}");
    assert!(!cache.path().join("train-images-idx3-ubyte").exists(), "a file with the wrong checksum was kept");
}

#[test]
fn damaged_cache_is_fetched_again() {
    let t = tiny();
    let server = serve(&t.files, |b| b);
    let mut spec = t.spec.clone();
    spec.mirrors = vec![format!("{}/good", server.url)];
    let cache = tempfile::tempdir().unwrap();
    std::fs::write(cache.path().join("train-labels-idx1-ubyte"), b"garbage").unwrap();
    assert_eq!(download_into(&spec, cache.path()).unwrap().train.labels, [5, 0, 4]);
    assert_eq!(std::fs::read(cache.path().join("train-labels-idx1-ubyte")).unwrap(), t.files[1].1);
}

#[test]
fn unwritable_cache_is_named() {
    let t = tiny();
    let mut spec = t.spec.clone();
    spec.mirrors = vec!["http://127.0.0.1:9".into()];
    // A cache "directory" below a plain file cannot be created, whoever runs the test.
    let file = tempfile::NamedTempFile::new().unwrap();
    let cache = file.path().join("cache");
    let err = download_into(&spec, &cache).unwrap_err();
    assert!(matches!(err, DataError::Unwritable { .. }), "{err:?}");
    assert!(err.to_string().contains(&cache.display().to_string()), "{err}");
}

#[test]
fn real_mnist_downloads_through_the_same_code() {
    let dir = common::mnist_dir();
    let spec = DatasetSpec::mnist();
    let files: Vec<(String, Vec<u8>)> = [&spec.train_images, &spec.train_labels, &spec.test_images, &spec.test_labels]
        .iter()
        .map(|f| {
            let gz = std::fs::read(dir.join(format!("{}.gz", f.name))).unwrap();
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(gz.as_slice()), &mut bytes).unwrap();
            (f.name.clone(), bytes)
        })
        .collect();
    let server = serve(&files, |b| b);
    let mut spec = spec;
    spec.mirrors = vec![format!("{}/good", server.url)];
    let cache = tempfile::tempdir().unwrap();
    let mnist = download_into(&spec, cache.path()).unwrap();
    assert_eq!((mnist.train.count, mnist.test.count), (60000, 10000));
    assert_eq!(mnist.test.labels[..5], [7, 2, 1, 0, 4]);
}

#[test]
fn preview_command_writes_the_first_digits() {
    let out = tempfile::tempdir().unwrap().keep().join("preview.png");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_gan-wgpu"))
        .args(["preview", "--count", "20", "--out"])
        .arg(&out)
        .arg("--data-dir")
        .arg(common::mnist_dir())
        .status()
        .unwrap();
    assert!(status.success());
    let png = image::open(&out).unwrap().to_luma8();
    // 10 columns of 28 + 2 gap, 2 rows of 28 + 2 + 12 (label), plus the outer gap.
    assert_eq!(png.dimensions(), (10 * 30 + 2, 2 * 42 + 2));
    let mnist = data::load(&DatasetSpec::mnist(), &explicit(&common::mnist_dir())).unwrap();
    // The first cell holds the first training image (a 5), pixel for pixel.
    for (j, &p) in mnist.train.image(0).iter().enumerate() {
        assert_eq!(png.get_pixel(2 + j as u32 % 28, 2 + j as u32 / 28)[0], p, "pixel {j} of the first digit");
    }
    // The 12th cell (second row, second column) holds the 12th image.
    assert_eq!(png.get_pixel(32 + 14, 44 + 14)[0], mnist.train.image(11)[14 * 28 + 14]);
}

#[test]
fn preview_command_refuses_bad_flags() {
    let output =
        std::process::Command::new(env!("CARGO_BIN_EXE_gan-wgpu")).args(["preview", "--count", "0"]).output().unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--count"), "{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn the_vendored_copy_is_used_when_nothing_else_has_the_data() {
    let vendored = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist");
    let empty_cache = tempfile::tempdir().unwrap();
    let options = LoadOptions {
        cache_dir: Some(empty_cache.path().into()),
        vendored_dir: Some(vendored.clone()),
        download: false,
        ..Default::default()
    };
    let mnist = data::load(&DatasetSpec::mnist(), &options).unwrap();
    assert_eq!(mnist.source, vendored);
    assert_eq!(mnist.train.labels[..5], [5, 0, 4, 1, 9]);
    // Without it, and with downloads off, the error says where it looked.
    let options = LoadOptions { vendored_dir: None, ..options };
    let err = data::load(&DatasetSpec::mnist(), &options).unwrap_err();
    assert!(err.to_string().contains(&empty_cache.path().display().to_string()), "{err}");
}
