/**
 * The similarity-graph model of the paper (§3–4; Theorems 3.3, 3.4, 4.3, 4.5 and Corollary 4.1), in plain
 * float64 TypeScript (no tfjs).
 *
 * r+1 classes of n samples each; the first n_d samples of every class are "difficult". Affinities: 1 on the
 * diagonal, α within a class, β across classes, and γ between difficult sample l of class i and difficult
 * sample l of every other class j (matched by index), with 0 ≤ β < γ < α < 1. Contrastive learning with k
 * features behaves like a rank-k factorisation of Ā = D^{−1/2} A D^{−1/2}; the linear-probe error bound grows
 * with the (k+1)-th largest eigenvalue λ_{k+1} of Ā.
 */
import { LabError, strictOptions, symmetricEigenvalues } from '@lab/core';

/** Parameters of the similarity graph. */
export interface GraphParams {
  /** Samples per class n. */
  n: number;
  /** r (there are r + 1 classes), r ≥ 1. */
  r: number;
  /** Difficult samples per class n_d, 0 ≤ n_d ≤ n. */
  nd: number;
  /** Same-class similarity α. */
  alpha: number;
  /** Different-class similarity β. */
  beta: number;
  /** Difficult cross-class similarity γ. */
  gamma: number;
}

function checkGraph(p: GraphParams, allowGammaEqualBeta: boolean): void {
  const { n, r, nd, alpha, beta, gamma } = p;
  if (!Number.isInteger(n) || n < 1) throw new LabError('OUT_OF_RANGE', `n: expected a positive integer, got ${n}`);
  if (!Number.isInteger(r) || r < 1) throw new LabError('OUT_OF_RANGE', `r: expected an integer >= 1, got ${r}`);
  if (!Number.isInteger(nd) || nd < 0 || nd > n)
    throw new LabError('OUT_OF_RANGE', `nd: expected an integer with 0 <= nd <= n = ${n}, got ${nd}`);
  for (const [name, v] of [
    ['alpha', alpha],
    ['beta', beta],
    ['gamma', gamma],
  ] as const) {
    if (!Number.isFinite(v)) throw new LabError('NON_FINITE', `${name}: expected a finite number, got ${v}`);
  }
  const gammaOk = allowGammaEqualBeta ? beta <= gamma : beta < gamma;
  // The message starts with the first parameter that breaks the chain, so a CLI shows that flag.
  const culprit = !(beta >= 0) ? 'beta' : !gammaOk ? 'gamma' : !(gamma < alpha && alpha < 1) ? 'alpha' : null;
  if (culprit !== null) {
    throw new LabError(
      'OUT_OF_RANGE',
      `${culprit}: expected 0 <= beta ${allowGammaEqualBeta ? '<=' : '<'} gamma < alpha < 1, got alpha = ${alpha}, beta = ${beta}, gamma = ${gamma}`,
    );
  }
}

/** The keys of {@link GraphParams}, all required: strictOptions refuses any other key, checkGraph a missing one. */
const GRAPH_KEYS = { n: undefined, r: undefined, nd: undefined, alpha: undefined, beta: undefined, gamma: undefined };

function graphParams(p: GraphParams, where: string): GraphParams {
  const checked = strictOptions(p, GRAPH_KEYS as unknown as GraphParams, where);
  for (const key of Object.keys(GRAPH_KEYS) as (keyof GraphParams)[])
    if (typeof checked[key] !== 'number')
      throw new LabError('INVALID_ARGUMENT', `${key}: expected a number, got ${String(checked[key])}`);
  return checked;
}

/**
 * The similarity graph A and its normalised form Ā = D^{−1/2} A D^{−1/2}, row-major float64 [size, size]
 * with size = n(r+1); sample l of class c is row c·n + l.
 */
export function similarityGraph(
  n: number,
  r: number,
  nd: number,
  alpha: number,
  beta: number,
  gamma: number,
): { A: Float64Array; Abar: Float64Array; size: number } {
  checkGraph({ n, r, nd, alpha, beta, gamma }, false);
  const size = n * (r + 1);
  const A = new Float64Array(size * size);
  for (let i = 0; i < size; i++) {
    const ci = Math.floor(i / n);
    const li = i % n;
    for (let j = 0; j < size; j++) {
      const cj = Math.floor(j / n);
      const lj = j % n;
      let a: number;
      if (i === j) a = 1;
      else if (ci === cj) a = alpha;
      else if (li === lj && li < nd)
        a = gamma; // difficult sample l of one class ↔ difficult sample l of another
      else a = beta;
      A[i * size + j] = a;
    }
  }
  const degree = new Float64Array(size);
  for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) degree[i]! += A[i * size + j]!;
  const Abar = new Float64Array(size * size);
  for (let i = 0; i < size; i++)
    for (let j = 0; j < size; j++) Abar[i * size + j] = A[i * size + j]! / Math.sqrt(degree[i]! * degree[j]!);
  return { A, Abar, size };
}

/** Closed-form λ_{k+1} of Ā for feature dimension r+1 ≤ k < n_d + r + 1. */
export interface SpectralBounds {
  /** Thm 3.3, no difficult examples: (1−α)/c₂ with c₂ = (1−α) + nα + nrβ. */
  clean: number;
  /** Thm 3.4, with difficult examples: [(1−α) + r(γ−β)]/c₁ with c₁ = c₂ + r(γ−β); larger than `clean` when γ > β. */
  withDifficult: number;
  /** Cor 4.1, difficult examples removed: Thm 3.3 with n → n − n_d. */
  removed: number;
  /** Removal beats keeping the difficult examples iff γ − β exceeds this: n_d(1−α)/(r(n−n_d)) (our algebra; +∞ when n_d = n). */
  removalThreshold: number;
  /** Thm 4.5: factor 1 − (n_d/n)² + (γ/β)²(n_d/n)² inflating the bound under temperature scaling (+∞ when β = 0 < n_d). */
  temperatureInflation: number;
  /**
   * Thm 4.3, margin m = c₀(γ−β)/(c₁²c₂) on difficult pairs that restores Thm 3.3, with c₀ = c₂ − rβ (direct algebra; the
   * printed c₀ = (1−α) + nα + (n−n_d)rβ looks inconsistent). Reconstructed: documented, not checked against the paper.
   */
  margin: number;
}

/** Closed forms of the paper for λ_{k+1} with and without difficult examples (spec §2.6). γ = β is allowed. */
export function spectralBounds(params: GraphParams): SpectralBounds {
  const p = graphParams(params, 'spectralBounds params');
  checkGraph(p, true);
  const { n, r, nd, alpha, beta, gamma } = p;
  const c2 = 1 - alpha + n * alpha + n * r * beta; // degree of an easy node
  const c1 = c2 + r * (gamma - beta); // degree of a difficult node
  const kept = n - nd;
  const c0 = c2 - r * beta;
  const ratio = nd / n;
  return {
    clean: (1 - alpha) / c2,
    withDifficult: (1 - alpha + r * (gamma - beta)) / c1,
    removed: (1 - alpha) / (1 - alpha + kept * alpha + kept * r * beta),
    removalThreshold: kept === 0 ? Number.POSITIVE_INFINITY : (nd * (1 - alpha)) / (r * kept),
    temperatureInflation:
      nd === 0 ? 1 : beta === 0 ? Number.POSITIVE_INFINITY : 1 - ratio ** 2 + (gamma / beta) ** 2 * ratio ** 2,
    margin: (c0 * (gamma - beta)) / (c1 ** 2 * c2),
  };
}

/** λ_{k+1} of Ā computed numerically at k = r + 1 (the descending eigenvalue with 0-based index r + 1). */
export function numericLambda(params: GraphParams): number {
  const p = graphParams(params, 'numericLambda params');
  const { Abar, size } = similarityGraph(p.n, p.r, p.nd, p.alpha, p.beta, p.gamma);
  return symmetricEigenvalues(Abar, size)[p.r + 1]!;
}
