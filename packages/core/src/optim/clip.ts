import * as tf from '@tensorflow/tfjs';
import { assertInRange } from '../errors.js';

type GradList = readonly (tf.Tensor | null | undefined)[];
type GradRecord = Readonly<Record<string, tf.Tensor | null | undefined>>;

function values(grads: GradList | GradRecord): tf.Tensor[] {
  return (Array.isArray(grads) ? grads : Object.values(grads)).filter((g): g is tf.Tensor => g instanceof tf.Tensor);
}

/** The global L2 norm √(Σ‖g‖²) over all gradients (nulls skipped), as a number. */
export function globalNorm(grads: GradList | GradRecord): number {
  const gs = values(grads);
  if (gs.length === 0) return 0;
  return tf.tidy(
    () =>
      tf
        .addN(gs.map((g) => g.square().sum()))
        .sqrt()
        .dataSync()[0]!,
  );
}

/**
 * Scales gradients so their global L2 norm is at most `maxNorm`, with PyTorch's
 * `clip_grad_norm_` semantics: coef = min(1, maxNorm / (norm + 1e-6)), g ← coef · g.
 * Returns NEW tensors (same keys, nulls kept) and the norm before clipping; the inputs are not disposed.
 */
export function clipByGlobalNorm<G extends GradList | GradRecord>(
  grads: G,
  maxNorm: number,
): { grads: G; norm: number } {
  assertInRange(maxNorm, 'maxNorm', { min: 0, minExclusive: true });
  const norm = globalNorm(grads);
  const coef = Math.min(1, maxNorm / (norm + 1e-6));
  const scale = (g: tf.Tensor | null | undefined) =>
    g instanceof tf.Tensor ? tf.tidy(() => g.mul(coef)) : (g ?? null);
  if (Array.isArray(grads)) return { grads: (grads as GradList).map(scale) as unknown as G, norm };
  const out: Record<string, tf.Tensor | null> = {};
  for (const [k, g] of Object.entries(grads as GradRecord)) out[k] = scale(g);
  return { grads: out as unknown as G, norm };
}
