import * as tf from '@tensorflow/tfjs';
import { first, scatterFlat } from './util.js';

interface StridedSliceAttrs {
  begin: number[];
  end: number[];
  strides: number[];
  beginMask: number;
  endMask: number;
  ellipsisMask: number;
  newAxisMask: number;
  shrinkAxisMask: number;
}

/** StridedSlice (no gradient in tfjs 4.22): scatter dy back to the positions it was read from, found by slicing an iota. */
export const stridedSliceGrad: tf.GradConfig = {
  kernelName: 'StridedSlice',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved as [tf.Tensor];
    const a = attrs as unknown as StridedSliceAttrs;
    return {
      x: () => {
        const iota = tf.range(0, x.size, 1, 'int32').reshape(x.shape);
        const positions = tf.stridedSlice(
          iota,
          a.begin,
          a.end,
          a.strides,
          a.beginMask,
          a.endMask,
          a.ellipsisMask,
          a.newAxisMask,
          a.shrinkAxisMask,
        );
        return scatterFlat(first(dy), positions, x.shape);
      },
    };
  },
};
