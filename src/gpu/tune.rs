//! Choosing among an op's kernel variants by measurement, per adapter and shape (as Burn's
//! autotune does): the first time a shape is met, the op times its candidates on it and keeps the
//! fastest; the choice is cached on disk, keyed by adapter, driver and shape, so later runs measure
//! nothing and a run on one adapter reproduces bit for bit. `GAN_WGPU_KERNELS` forces a variant. A
//! training run records the kernels it trains with ([`RunKernels`], in its checkpoint), and a resumed
//! run takes those again on the same adapter, whatever the cache holds by then.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// Forces variants, e.g. `GAN_WGPU_KERNELS=matmul=tiled-64x64`; several are comma-separated.
pub const KERNELS_ENV: &str = "GAN_WGPU_KERNELS";
/// The file that caches the choices; `off` keeps them in memory only. Default:
/// `$XDG_CACHE_HOME/gan-wgpu/kernels.json`, else `~/.cache/gan-wgpu/kernels.json`.
pub const TUNE_CACHE_ENV: &str = "GAN_WGPU_TUNE_CACHE";

/// An op with several kernels: its name and its variants' names.
#[derive(Debug)]
pub struct Family {
    pub name: &'static str,
    pub variants: &'static [&'static str],
}

/// Every op that has variants (the names `GAN_WGPU_KERNELS` takes).
pub static FAMILIES: &[&Family] = &[
    &crate::ops::matmul::FAMILY,
    &crate::gpu::kernel::ELEMENTWISE,
    &crate::gpu::kernel::UPDATES,
    &crate::ops::maxout::DROPOUT_FAMILY,
    &crate::ops::matmul::SGD_FAMILY,
];

/// Where a choice came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Forced,
    Measured,
    Cached,
    /// No measurement possible here (the browser): the variant for the adapter's kind.
    Default,
    /// The variant the resumed run trained with ([`RunKernels`]).
    Run,
}

/// The kernel variants a training run uses, by shape key, and the adapter they were chosen on
/// ([`crate::gpu::AdapterSummary::tune_key`]): kept in its checkpoint so that a resumed run takes
/// the same ones, and stays exact, even where the cache was measured again in between (another
/// build, a lost file, timings that rank two variants the other way).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunKernels {
    pub adapter: String,
    pub variants: BTreeMap<String, String>,
}

/// One choice: the variant for a shape, and each candidate's time in seconds where measured (a
/// candidate that failed its check has none).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Choice {
    pub variant: String,
    pub source: Source,
    #[serde(default)]
    pub seconds: BTreeMap<String, f64>,
}

/// The outcome of timing one candidate.
pub type Timing = Result<f64, String>;

/// The choices cache: a JSON file of adapter → shape key → choice, for the kernel code it was
/// measured with.
#[derive(Serialize, Deserialize)]
struct CacheFile {
    format: String,
    /// [`kernels_fingerprint`] of the build that measured the choices.
    #[serde(default)]
    kernels: String,
    adapters: BTreeMap<String, BTreeMap<String, Choice>>,
}

impl CacheFile {
    fn empty() -> Self {
        Self { format: CACHE_FORMAT.into(), kernels: kernels_fingerprint().into(), adapters: BTreeMap::new() }
    }
}

/// A digest of every kernel's source, generated blocks included: choices measured for other code
/// (an older build's) are measured again, since a changed kernel may rank differently.
pub fn kernels_fingerprint() -> &'static str {
    static FINGERPRINT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    FINGERPRINT.get_or_init(|| {
        let sources: String = crate::shaders::ALL.iter().flat_map(|shader| shader.sources()).collect();
        crate::sha256_hex(sources.as_bytes())[..16].to_string()
    })
}

const CACHE_FORMAT: &str = "gan-wgpu kernel choices 1";

/// How a device chooses: the forced variants, the cache file, and the choices made so far.
pub(crate) struct Tuning {
    forced: HashMap<&'static str, &'static str>,
    cache: Option<PathBuf>,
    /// The cache's key for this device: adapter name, backend and driver.
    adapter: String,
    chosen: Mutex<BTreeMap<String, Choice>>,
    /// A resumed run's variants by shape key, taken before the cache ([`RunKernels`]).
    run: Mutex<BTreeMap<String, String>>,
    /// Seconds spent measuring (checks included).
    measuring: Mutex<f64>,
    /// Variant checks made on this device, by what they checked (natively; the browser measures nothing).
    #[cfg(not(target_arch = "wasm32"))]
    checked: Mutex<HashMap<String, Result<(), String>>>,
}

thread_local! {
    /// Whether this thread is measuring a choice, so that a choice asked for inside the measurement
    /// fails with a message instead of waiting forever on the choices' lock.
    static MEASURING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Parses `GAN_WGPU_KERNELS`'s value: `family=variant[,family=variant]`.
pub fn parse_forced(value: &str) -> Result<HashMap<&'static str, &'static str>, String> {
    let listing =
        || FAMILIES.iter().map(|f| format!("{}={}", f.name, f.variants.join("|"))).collect::<Vec<_>>().join(", ");
    let mut forced = HashMap::new();
    for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (family, variant) = item
            .split_once('=')
            .ok_or_else(|| format!("{KERNELS_ENV}: {item:?} is not family=variant; known: {}", listing()))?;
        let family = FAMILIES
            .iter()
            .find(|f| f.name == family.trim())
            .ok_or_else(|| format!("{KERNELS_ENV}: no op {family:?} has variants; known: {}", listing()))?;
        let variant = family.variants.iter().find(|v| **v == variant.trim()).ok_or_else(|| {
            format!(
                "{KERNELS_ENV}: {} has no variant {variant:?}; its variants: {}",
                family.name,
                family.variants.join(", ")
            )
        })?;
        forced.insert(family.name, *variant);
    }
    Ok(forced)
}

/// The cache file `GAN_WGPU_TUNE_CACHE` names, or the default; None for `off` or no home.
pub fn cache_path_from_env() -> Option<PathBuf> {
    match std::env::var_os(TUNE_CACHE_ENV) {
        Some(value) if value == "off" => None,
        Some(value) if !value.is_empty() => Some(PathBuf::from(value)),
        _ => {
            let base = std::env::var_os("XDG_CACHE_HOME")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
            Some(base.join("gan-wgpu").join("kernels.json"))
        }
    }
}

/// The cached choices for every adapter, as `gan-wgpu adapters` prints them.
pub fn cached_choices(path: &std::path::Path) -> BTreeMap<String, BTreeMap<String, Choice>> {
    read_cache(path).map(|c| c.adapters).unwrap_or_default()
}

/// The cache's contents, or None where it is missing, unreadable, damaged, of another format or
/// measured for other kernel code (it is then measured again and rewritten).
fn read_cache(path: &std::path::Path) -> Option<CacheFile> {
    let text = std::fs::read_to_string(path).ok()?;
    let why = match serde_json::from_str::<CacheFile>(&text) {
        Ok(cache) if cache.format == CACHE_FORMAT && cache.kernels == kernels_fingerprint() => return Some(cache),
        Ok(cache) if cache.format == CACHE_FORMAT => "measured for other kernel code",
        _ => "damaged or of another version",
    };
    eprintln!("warning: ignoring the kernel choices in {} ({why}); measuring again", path.display());
    None
}

/// Whether `choice` names a variant of the family its key starts with.
fn known(key: &str, choice: &Choice) -> bool {
    let family = key.split(' ').next().unwrap_or_default();
    FAMILIES.iter().any(|f| f.name == family && f.variants.contains(&choice.variant.as_str()))
}

impl Tuning {
    pub(crate) fn new(forced: HashMap<&'static str, &'static str>, cache: Option<PathBuf>, adapter: String) -> Self {
        Self {
            forced,
            cache,
            adapter,
            chosen: Mutex::default(),
            run: Mutex::default(),
            measuring: Mutex::default(),
            #[cfg(not(target_arch = "wasm32"))]
            checked: Mutex::default(),
        }
    }

    /// Takes `variants` (a resumed run's, by shape key) for the shapes they name, before the cache.
    pub(crate) fn keep_run_variants(&self, variants: BTreeMap<String, String>) {
        *self.run.lock().unwrap() = variants;
    }

    /// The variant of `family` for `key` (which starts with the family's name): forced, chosen
    /// before, the resumed run's, cached, or measured now by `measure` (each candidate's time or why
    /// it failed; None where this platform cannot measure, and `default` is taken). `measure` must
    /// not need another choice: make that one first (the choices' lock is held while it runs).
    pub(crate) fn choose(
        &self,
        family: &Family,
        key: &str,
        default: &'static str,
        measure: impl FnOnce() -> Option<Vec<(&'static str, Timing)>>,
    ) -> &'static str {
        assert!(
            !MEASURING.get(),
            "the kernel choice {key} was needed while another was being measured: make it before measuring"
        );
        let name = |variant: &str| family.variants.iter().copied().find(|v| *v == variant);
        let mut chosen = self.chosen.lock().unwrap();
        if let Some(variant) = self.forced.get(family.name) {
            let choice = Choice { variant: variant.to_string(), source: Source::Forced, seconds: BTreeMap::new() };
            chosen.insert(key.to_string(), choice);
            return variant;
        }
        if let Some(variant) = chosen.get(key).and_then(|c| name(&c.variant)) {
            return variant;
        }
        if let Some(recorded) = self.run.lock().unwrap().get(key) {
            match name(recorded) {
                Some(variant) => {
                    let choice = Choice { variant: variant.to_string(), source: Source::Run, seconds: BTreeMap::new() };
                    chosen.insert(key.to_string(), choice);
                    return variant;
                }
                None => eprintln!(
                    "warning: the run trained {key} with {recorded:?}, which this build does not have; choosing again"
                ),
            }
        }
        // Another process may be measuring the same shapes: one at a time, and the first choice
        // written stays, so that every process on this adapter runs the same kernels.
        let lock = self.cache.as_ref().and_then(|path| lock_beside(path));
        let cached = self.cache.as_deref().and_then(read_cache).and_then(|mut file| {
            let choice = file.adapters.get_mut(&self.adapter)?.remove(key)?;
            known(key, &choice).then_some(choice)
        });
        let choice = match cached {
            Some(choice) => Choice { source: Source::Cached, ..choice },
            None => match self.timed(measure) {
                None => Choice { variant: default.into(), source: Source::Default, seconds: BTreeMap::new() },
                Some(timings) => {
                    let mut seconds = BTreeMap::new();
                    for (variant, timing) in &timings {
                        match timing {
                            Ok(t) => {
                                seconds.insert(variant.to_string(), *t);
                            }
                            Err(why) => eprintln!(
                                "warning: {} variant {variant} is not used on {}: {why}",
                                family.name, self.adapter
                            ),
                        }
                    }
                    let fastest = seconds.iter().min_by(|a, b| a.1.total_cmp(b.1)).map(|(v, _)| v.clone());
                    match fastest {
                        Some(variant) => {
                            let choice = Choice { variant, source: Source::Measured, seconds };
                            self.save(key, &choice);
                            choice
                        }
                        // Nothing learned: the default, measured again next time rather than cached.
                        None => Choice { variant: default.into(), source: Source::Default, seconds },
                    }
                }
            },
        };
        drop(lock);
        let variant = name(&choice.variant).unwrap_or(default);
        chosen.insert(key.to_string(), choice);
        variant
    }

    /// Adds one choice to the cache file, keeping what other processes wrote; a file that cannot
    /// be written leaves the choice in memory only.
    fn save(&self, key: &str, choice: &Choice) {
        let Some(path) = &self.cache else { return };
        let mut file = read_cache(path).unwrap_or_else(CacheFile::empty);
        file.adapters.entry(self.adapter.clone()).or_default().insert(key.to_string(), choice.clone());
        let written = path.parent().map_or(Ok(()), std::fs::create_dir_all).and_then(|()| {
            // Written beside, then renamed: a reader never sees half a file.
            let partial = path.with_extension("json.partial");
            std::fs::write(&partial, serde_json::to_vec_pretty(&file).unwrap_or_default())?;
            std::fs::rename(&partial, path)
        });
        if let Err(e) = written {
            eprintln!("warning: cannot save kernel choices to {}: {e}", path.display());
        }
    }

    /// `measure`, adding its duration to the time spent measuring (natively: the browser has no
    /// clock in std, and measures nothing).
    fn timed<T>(&self, measure: impl FnOnce() -> T) -> T {
        #[cfg(not(target_arch = "wasm32"))]
        let started = std::time::Instant::now();
        MEASURING.set(true);
        let outcome = measure();
        MEASURING.set(false);
        #[cfg(not(target_arch = "wasm32"))]
        {
            *self.measuring.lock().unwrap() += started.elapsed().as_secs_f64();
        }
        outcome
    }

    /// One line on the choices so far: how many were measured, and in how long, or came from the
    /// cache or were forced, and which variants won.
    pub(crate) fn summary(&self) -> String {
        let chosen = self.chosen.lock().unwrap();
        let count = |source: Source| chosen.values().filter(|c| c.source == source).count();
        let mut wins: BTreeMap<&str, usize> = BTreeMap::new();
        for choice in chosen.values() {
            *wins.entry(&choice.variant).or_default() += 1;
        }
        let wins: Vec<String> = wins.iter().map(|(v, n)| format!("{v} ×{n}")).collect();
        let cache = self.cache.as_ref().map_or("not cached".to_string(), |p| format!("cache {}", p.display()));
        let from_run = match count(Source::Run) {
            0 => String::new(),
            n => format!("{n} as the resumed run chose them, "),
        };
        let mut line = format!(
            "kernels for {} shapes: {from_run}{} measured in {:.1} s, {} from the cache ({cache}): {}",
            chosen.len(),
            count(Source::Measured),
            *self.measuring.lock().unwrap(),
            count(Source::Cached),
            wins.join(", ")
        );
        if !self.forced.is_empty() {
            let forced: Vec<String> = self.forced.iter().map(|(f, v)| format!("{f}={v}")).collect();
            line.push_str(&format!("; forced by {KERNELS_ENV}: {}", forced.join(",")));
        }
        line
    }

    /// `check`'s outcome, run the first time `key` is met on this device.
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn check_once(&self, key: &str, check: impl FnOnce() -> Result<(), String>) -> Result<(), String> {
        if let Some(outcome) = self.checked.lock().unwrap().get(key) {
            return outcome.clone();
        }
        let outcome = check();
        self.checked.lock().unwrap().insert(key.to_string(), outcome.clone());
        outcome
    }

    /// The measured seconds per candidate of the choice for `key` (none where it was forced).
    pub(crate) fn seconds(&self, key: &str) -> BTreeMap<String, f64> {
        self.chosen.lock().unwrap().get(key).map(|c| c.seconds.clone()).unwrap_or_default()
    }

    /// The choices this device has made so far, by key.
    pub(crate) fn choices(&self) -> BTreeMap<String, Choice> {
        self.chosen.lock().unwrap().clone()
    }

    pub(crate) fn forced(&self) -> &HashMap<&'static str, &'static str> {
        &self.forced
    }
}

/// An exclusive lock on a file beside the cache, held while it is dropped; None where locking is
/// not possible (the choice is then made without it).
fn lock_beside(path: &std::path::Path) -> Option<std::fs::File> {
    let lock_path = path.with_extension("lock");
    if let Some(dir) = lock_path.parent() {
        std::fs::create_dir_all(dir).ok()?;
    }
    let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(lock_path).ok()?;
    file.lock().ok()?;
    Some(file)
}

/// A fusion's candidates timed for [`Tuning::choose`], `fused` and `separate`: each way is its
/// dispatches and the tensors they write. The fused way is first checked to write the same bits as
/// the separate one (else it is not used, and the timing says it `differs`); each way's time is the
/// best of three runs of `reps`.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn fusion_timings(
    gpu: &crate::gpu::Gpu,
    fused: (Vec<crate::gpu::Dispatch>, Vec<crate::gpu::Tensor>),
    separate: (Vec<crate::gpu::Dispatch>, Vec<crate::gpu::Tensor>),
    reps: usize,
    differs: &str,
) -> Vec<(&'static str, Timing)> {
    let ((fused, fused_out), (separate, separate_out)) = (fused, separate);
    let seconds = |ops: &[crate::gpu::Dispatch]| {
        gpu.seconds_per_run(ops, 1);
        (0..3).map(|_| gpu.seconds_per_run(ops, reps)).fold(f64::INFINITY, f64::min)
    };
    gpu.run(|r| fused.iter().chain(&separate).for_each(|op| op.record(r)));
    let bits = |tensors: &[crate::gpu::Tensor]| {
        tensors
            .iter()
            .map(|t| t.read_blocking(gpu).map(|v| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>()))
            .collect::<Result<Vec<_>, _>>()
    };
    let checked = match (bits(&fused_out), bits(&separate_out)) {
        (Ok(a), Ok(b)) if a == b => Ok(()),
        (Ok(_), Ok(_)) => Err(format!("its values differ from {differs}")),
        (Err(e), _) | (_, Err(e)) => Err(e.to_string()),
    };
    vec![("fused", checked.map(|()| seconds(&fused))), ("separate", Ok(seconds(&separate)))]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_measurement_where_every_candidate_failed_takes_the_default_and_is_not_cached() {
        let dir = std::env::temp_dir().join(format!("gan-wgpu-tune-unit-{}", std::process::id()));
        let cache = dir.join("kernels.json");
        let tuning = Tuning::new(HashMap::new(), Some(cache.clone()), "adapter".into());
        let family = &crate::gpu::kernel::UPDATES;
        let failed = || Some(vec![("texels", Err("wrong".to_string())), ("storage", Err("wrong".to_string()))]);
        assert_eq!(tuning.choose(family, "updates test", "storage", failed), "storage");
        assert!(cached_choices(&cache).get("adapter").is_none_or(|c| c.is_empty()), "a failed measurement was cached");
        let timed = || Some(vec![("texels", Ok(1.0)), ("storage", Ok(2.0))]);
        let again = Tuning::new(HashMap::new(), Some(cache.clone()), "adapter".into());
        assert_eq!(again.choose(family, "updates test", "storage", timed), "texels", "not measured again");
        assert_eq!(cached_choices(&cache)["adapter"]["updates test"].variant, "texels");
        let _ = std::fs::remove_dir_all(dir);
    }
}
