import { LabError, tf } from '@lab/core';

/** Normalises ids to an int32 `[B, T]` tensor and checks they index the vocabulary. */
export function toIds2d(ids: Int32Array | number[] | tf.Tensor1D | tf.Tensor2D, vocabSize: number): tf.Tensor2D {
  if (ids instanceof tf.Tensor) {
    if (ids.dtype !== 'int32') throw new LabError('DTYPE_MISMATCH', `ids: expected an int32 tensor, got ${ids.dtype}`);
    if (ids.rank !== 1 && ids.rank !== 2)
      throw new LabError('SHAPE_MISMATCH', `ids: expected [T] or [B, T], got [${ids.shape.join(', ')}]`);
    checkIdRange(ids.dataSync(), vocabSize);
    return (ids.rank === 1 ? tf.expandDims(ids, 0) : ids) as tf.Tensor2D;
  }
  checkIdRange(ids, vocabSize);
  return tf.tensor2d(Int32Array.from(ids), [1, ids.length], 'int32');
}

function checkIdRange(ids: ArrayLike<number>, vocabSize: number): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new LabError(
        'OUT_OF_RANGE',
        `ids: token ${id} at position ${i} is outside the vocabulary [0, ${vocabSize - 1}]`,
      );
    }
  }
}
