//! Fetching a dataset file from its mirrors: HTTP(S), gunzip, SHA-256 check, atomic write.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use flate2::read::GzDecoder;
use indicatif::{ProgressBar, ProgressStyle};

use super::{DataError, FileSpec};
use crate::{sha256_hex, write_atomically};

/// Downloads `file` (as `<name>.gz`) from the first mirror that serves a valid copy and writes the
/// decompressed, verified contents to `dir/<name>`. Returns the decompressed bytes.
pub fn fetch(mirrors: &[String], file: &FileSpec, dir: &Path, progress: bool) -> Result<Vec<u8>, DataError> {
    let mut attempts = Vec::new();
    for mirror in mirrors {
        let url = format!("{}/{}.gz", mirror.trim_end_matches('/'), file.name);
        match fetch_one(&url, file, progress) {
            Ok(bytes) => {
                let path = dir.join(&file.name);
                write_atomically(&path, &bytes).map_err(|error| DataError::Unwritable { path, error })?;
                return Ok(bytes);
            }
            Err(reason) => attempts.push(format!("{url}: {reason}")),
        }
    }
    Err(DataError::Download { file: file.name.clone(), attempts })
}

/// One mirror: the decompressed bytes if they arrive whole and match the checksum.
fn fetch_one(url: &str, file: &FileSpec, progress: bool) -> Result<Vec<u8>, String> {
    let agent = ureq::Agent::config_builder().timeout_global(Some(Duration::from_secs(300))).build().new_agent();
    let mut response = agent.get(url).call().map_err(|e| e.to_string())?;
    let body = response.body_mut();
    let bar = match (progress, body.content_length()) {
        (true, Some(len)) => ProgressBar::new(len),
        (true, None) => ProgressBar::new_spinner(),
        (false, _) => ProgressBar::hidden(),
    };
    bar.set_style(
        ProgressStyle::with_template("{msg} {bar:30} {bytes}/{total_bytes} {bytes_per_sec}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(format!("downloading {}.gz", file.name));
    let mut compressed = Vec::new();
    bar.wrap_read(body.with_config().limit(200 << 20).reader())
        .read_to_end(&mut compressed)
        .map_err(|e| format!("transfer broke off: {e}"))?;
    bar.finish_and_clear();
    let mut bytes = Vec::new();
    GzDecoder::new(compressed.as_slice())
        .read_to_end(&mut bytes)
        .map_err(|e| format!("not a valid gzip file ({e})"))?;
    let actual = sha256_hex(&bytes);
    if actual != file.sha256 {
        return Err(format!("checksum mismatch: SHA-256 {actual}, expected {}; the file was discarded", file.sha256));
    }
    Ok(bytes)
}
