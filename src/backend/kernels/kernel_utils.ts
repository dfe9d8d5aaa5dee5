/**
 * Helpers shared by the wasm training kernels, which are composed from tf ops
 * that the wasm backend already runs natively (conv2d, depthwiseConv2d, pad,
 * transpose, scatterND, ...).
 *
 * Ownership rules these helpers encode (tfjs-core 4.22 engine, wasm backend):
 * - Each Tensor object owns exactly one backend reference to its dataId;
 *   disposing it calls `backend.disposeData`, which decrements the count and
 *   frees the memory at zero.
 * - `engine.makeTensorFromTensorInfo` does NOT add a backend reference. A
 *   wrapper around a kernel input therefore needs `backend.incRef` first, or
 *   disposing the wrapper frees the caller's data (a later double free).
 * - The engine wraps a kernel's returned TensorInfo the same way, so a kernel
 *   must hand over exactly one reference that nobody else will release.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The argument object every registered kernelFunc receives. */
export type KernelArgs = Parameters<tf.KernelFunc>[0];

/**
 * Runs `compute` on tensors that borrow the kernel's inputs and returns its
 * result as a TensorInfo the engine can own. Every intermediate, including
 * the borrowed wrappers, is disposed by the surrounding `tidy`.
 */
export function computeWithTensors(
    backend: tf.KernelBackend, inputs: Array<tf.TensorInfo | undefined>,
    compute: (...tensors: tf.Tensor[]) => tf.Tensor): tf.TensorInfo {
  const result = tf.tidy(() => compute(...inputs.map((info, i) => {
    if (info == null) {
      // The engine always passes every input; this only narrows the type.
      throw new Error(`Kernel input ${i} is missing.`);
    }
    backend.incRef(info.dataId);
    return tf.engine().makeTensorFromTensorInfo(info, backend);
  })));
  // Add the reference the engine's output tensor will own, then release
  // ours: the data survives with a count of exactly one more than before.
  backend.incRef(result.dataId);
  result.dispose();
  return {dataId: result.dataId, shape: result.shape, dtype: result.dtype};
}

/**
 * Pads (positive amounts) or crops (negative amounts) the two spatial axes
 * of an NHWC tensor, so a conv window can be cut out with one call.
 */
export function padOrCropSpatial(
    x: tf.Tensor4D, top: number, bottom: number, left: number,
    right: number): tf.Tensor4D {
  const [batch, height, width, channels] = x.shape;
  let y = x;
  const cropTop = Math.max(0, -top);
  const cropBottom = Math.max(0, -bottom);
  const cropLeft = Math.max(0, -left);
  const cropRight = Math.max(0, -right);
  if (cropTop + cropBottom + cropLeft + cropRight > 0) {
    y = tf.slice(y, [0, cropTop, cropLeft, 0], [
      batch, height - cropTop - cropBottom, width - cropLeft - cropRight,
      channels
    ]);
  }
  if (top > 0 || bottom > 0 || left > 0 || right > 0) {
    y = tf.pad(y, [
      [0, 0], [Math.max(0, top), Math.max(0, bottom)],
      [Math.max(0, left), Math.max(0, right)], [0, 0]
    ]);
  }
  return y;
}

/**
 * Cuts the part of the (zero-padded) input that a forward convolution
 * actually reads: it starts at the top/left padding and is exactly
 * `(filter - 1) * dilation + (out - 1) * stride + 1` long on each axis.
 * Rows a stride skips at the end are cropped, so a 'valid' conv over the
 * window yields exactly the filter's size.
 */
export function convInputWindow(
    x: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const windowHeight = (info.filterHeight - 1) * info.dilationHeight +
      (info.outHeight - 1) * info.strideHeight + 1;
  const windowWidth = (info.filterWidth - 1) * info.dilationWidth +
      (info.outWidth - 1) * info.strideWidth + 1;
  const {top, left} = info.padInfo;
  return padOrCropSpatial(
      x, top, windowHeight - info.inHeight - top, left,
      windowWidth - info.inWidth - left);
}
