//! The counter-based random numbers of `shaders/common/rng.wgsl`, on the CPU. Every value is a
//! pure function of (seed, stream, step, index), so the GPU kernels, the CPU reference and the
//! browser build all draw the same numbers.

/// pcg4d (Jarzynski & Olano 2020), with the wrapping u32 arithmetic of WGSL.
pub fn pcg4d(input: [u32; 4]) -> [u32; 4] {
    let mut v = input.map(|x| x.wrapping_mul(1664525).wrapping_add(1013904223));
    let mix = |v: &mut [u32; 4]| {
        v[0] = v[0].wrapping_add(v[1].wrapping_mul(v[3]));
        v[1] = v[1].wrapping_add(v[2].wrapping_mul(v[0]));
        v[2] = v[2].wrapping_add(v[0].wrapping_mul(v[1]));
        v[3] = v[3].wrapping_add(v[1].wrapping_mul(v[2]));
    };
    mix(&mut v);
    v = v.map(|x| x ^ (x >> 16));
    mix(&mut v);
    v
}

/// Uniform in [0, 1) from the top 24 bits: exact in f32.
pub fn unit_float(bits: u32) -> f32 {
    (bits >> 8) as f32 * (1.0 / 16_777_216.0)
}

/// Four random words for element `index` of the draw keyed by (seed, stream, step).
pub fn random_bits(seed: u32, stream: u32, step: u32, index: u32) -> [u32; 4] {
    pcg4d([index, stream, step, seed])
}

/// Which draw a kernel makes: the run's seed, a stream per use (layer, purpose), and the step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RngKey {
    pub seed: u32,
    pub stream: u32,
    pub step: u32,
}

impl RngKey {
    pub fn bits(&self, index: usize) -> [u32; 4] {
        random_bits(self.seed, self.stream, self.step, index as u32)
    }

    /// Uniform in [lo, hi), as `random.wgsl::uniform`.
    pub fn uniform(&self, index: usize, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * unit_float(self.bits(index)[0])
    }

    /// Normal(mean, std) by Box-Muller, as `random.wgsl::normal`.
    pub fn normal(&self, index: usize, mean: f32, std: f32) -> f32 {
        let bits = self.bits(index);
        let u1 = 1.0 - unit_float(bits[0]);
        let u2 = unit_float(bits[1]);
        let z = (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos();
        mean + std * z
    }

    /// Whether dropout keeps element `index`, as `dropout.wgsl`.
    pub fn keeps(&self, index: usize, keep: f32) -> bool {
        unit_float(self.bits(index)[0]) < keep
    }
}
