//! The IDX format of MNIST: a big-endian header (magic, then one u32 per dimension), then u8 data.

use std::path::Path;

use super::DataError;

/// Magic number of a u8 array with `dims` dimensions: 0x0000_08_dd.
fn magic(dims: usize) -> u32 {
    0x0800 | dims as u32
}

/// An IDX array of u8: its dimensions and data.
#[derive(Debug)]
pub struct IdxArray {
    pub dims: Vec<usize>,
    pub data: Vec<u8>,
}

/// Parses `bytes` (decompressed) as a u8 IDX array of `dims` dimensions; `path` names the file in errors.
pub fn parse(path: &Path, mut bytes: Vec<u8>, dims: usize) -> Result<IdxArray, DataError> {
    let header_len = 4 + 4 * dims;
    let word = |i: usize| u32::from_be_bytes(bytes[4 * i..4 * i + 4].try_into().unwrap());
    let truncated = |expected: usize| DataError::Truncated {
        path: path.into(),
        expected: expected as u64,
        actual: bytes.len() as u64,
    };
    if bytes.len() < 4 {
        return Err(truncated(header_len));
    }
    if word(0) != magic(dims) {
        return Err(DataError::BadMagic { path: path.into(), expected: magic(dims), found: word(0) });
    }
    if bytes.len() < header_len {
        return Err(truncated(header_len));
    }
    let shape: Vec<usize> = (1..=dims).map(|i| word(i) as usize).collect();
    let expected = header_len as u64 + shape.iter().map(|&d| d as u64).product::<u64>();
    if bytes.len() as u64 != expected {
        return Err(DataError::Truncated { path: path.into(), expected, actual: bytes.len() as u64 });
    }
    bytes.drain(..header_len);
    Ok(IdxArray { dims: shape, data: bytes })
}

/// The bytes of an IDX file holding `data` with the given dimensions (for tests and tools).
pub fn encode(dims: &[usize], data: &[u8]) -> Vec<u8> {
    let mut bytes = magic(dims.len()).to_be_bytes().to_vec();
    for &d in dims {
        bytes.extend((d as u32).to_be_bytes());
    }
    bytes.extend(data);
    bytes
}
