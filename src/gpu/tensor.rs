//! A typed handle over a GPU buffer with a shape.

use std::marker::PhantomData;

use wgpu::util::DeviceExt;

use crate::gpu::{Gpu, GpuError};

/// A row-major array of `T` in a storage buffer. Cloning a tensor clones the handle, not the data.
#[derive(Clone, Debug)]
pub struct Tensor<T: bytemuck::Pod = f32> {
    buffer: wgpu::Buffer,
    shape: Vec<usize>,
    _element: PhantomData<T>,
}

const USAGE: wgpu::BufferUsages =
    wgpu::BufferUsages::STORAGE.union(wgpu::BufferUsages::COPY_SRC).union(wgpu::BufferUsages::COPY_DST);

/// Buffers are padded to whole 16-byte words: kernels may read any tensor as vec4s, and wgpu
/// buffers cannot be empty.
fn byte_size<T>(len: usize) -> u64 {
    ((len * size_of::<T>()) as u64).max(16).next_multiple_of(16)
}

impl<T: bytemuck::Pod> Tensor<T> {
    /// A tensor of the given shape filled with zeros.
    pub fn zeros(gpu: &Gpu, shape: &[usize]) -> Self {
        let len = shape.iter().product();
        let buffer = gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: None,
            size: byte_size::<T>(len),
            usage: USAGE,
            mapped_at_creation: false,
        });
        Self { buffer, shape: shape.to_vec(), _element: PhantomData }
    }

    /// Uploads `data`, which must have as many elements as `shape` describes.
    pub fn from_slice(gpu: &Gpu, shape: &[usize], data: &[T]) -> Self {
        let len: usize = shape.iter().product();
        assert_eq!(data.len(), len, "{} values do not fill a tensor of shape {shape:?}", data.len());
        if !(len * size_of::<T>()).is_multiple_of(16) || len == 0 {
            let tensor = Self::zeros(gpu, shape);
            tensor.write(gpu, data);
            return tensor;
        }
        let buffer = gpu.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: None,
            contents: bytemuck::cast_slice(data),
            usage: USAGE,
        });
        Self { buffer, shape: shape.to_vec(), _element: PhantomData }
    }

    /// Replaces the contents with `data` (same length), in queue order.
    pub fn write(&self, gpu: &Gpu, data: &[T]) {
        assert_eq!(data.len(), self.len(), "{} values for a tensor of shape {:?}", data.len(), self.shape);
        let mut bytes = bytemuck::cast_slice::<T, u8>(data).to_vec();
        bytes.resize(byte_size::<T>(self.len()) as usize, 0);
        gpu.queue.write_buffer(&self.buffer, 0, &bytes);
    }

    /// Overwrites elements from `offset` on with `data`, in queue order.
    pub fn write_at(&self, gpu: &Gpu, offset: usize, data: &[T]) {
        assert!(
            offset + data.len() <= self.len(),
            "write of {} values at {offset} past the end of {:?}",
            data.len(),
            self.shape
        );
        let bytes = bytemuck::cast_slice::<T, u8>(data);
        assert!(
            bytes.len().is_multiple_of(4) && (offset * size_of::<T>()).is_multiple_of(4),
            "writes move whole words"
        );
        gpu.queue.write_buffer(&self.buffer, (offset * size_of::<T>()) as u64, bytes);
    }

    /// Copies the contents back to the host once all work submitted so far has run.
    pub async fn read(&self, gpu: &Gpu) -> Result<Vec<T>, GpuError> {
        let size = self.buffer.size();
        let staging = gpu.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("read-back"),
            size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut encoder = gpu.device.create_command_encoder(&Default::default());
        encoder.copy_buffer_to_buffer(&self.buffer, 0, &staging, 0, size);
        gpu.queue.submit([encoder.finish()]);
        let (sender, receiver) = futures::channel::oneshot::channel();
        staging.map_async(wgpu::MapMode::Read, .., move |result| {
            let _ = sender.send(result);
        });
        gpu.wait();
        receiver
            .await
            .map_err(|_| GpuError::ReadBack("the device was dropped before the copy finished".into()))?
            .map_err(|e| GpuError::ReadBack(e.to_string()))?;
        let view = staging.get_mapped_range(..).map_err(|e| GpuError::ReadBack(e.to_string()))?;
        let values = bytemuck::cast_slice::<u8, T>(&view[..self.len() * size_of::<T>()]).to_vec();
        drop(view);
        staging.unmap();
        Ok(values)
    }

    /// [`Tensor::read`] for native code that has no async runtime.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn read_blocking(&self, gpu: &Gpu) -> Result<Vec<T>, GpuError> {
        pollster::block_on(self.read(gpu))
    }

    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The same buffer seen as elements of another type (e.g. a struct of hyper-parameters).
    pub fn view<U: bytemuck::Pod>(&self) -> Tensor<U> {
        let bytes = self.len() * size_of::<T>();
        assert!(
            bytes.is_multiple_of(size_of::<U>()),
            "{bytes} bytes do not hold whole elements of {} bytes",
            size_of::<U>()
        );
        Tensor { buffer: self.buffer.clone(), shape: vec![bytes / size_of::<U>()], _element: PhantomData }
    }

    pub fn buffer(&self) -> &wgpu::Buffer {
        &self.buffer
    }
}
