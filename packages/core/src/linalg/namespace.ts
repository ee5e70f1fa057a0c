import {
  cholesky,
  fixSigns,
  lstsq,
  pinv,
  ridge,
  solveSPD,
  svd,
  svdJacobi,
  symmetricEigen,
  symmetricEigenvalues,
} from './dense.js';
import { orthonormalizeColumns, svdLowRank } from './low-rank.js';

/**
 * The float64 host linear algebra as one namespace, for the spec spelling `linalg.svdJacobi(…)`,
 * `linalg.symmetricEigen(…)`, `linalg.pinv(…)`, … (each is also exported by name).
 */
export const linalg = {
  svd,
  svdJacobi,
  svdLowRank,
  symmetricEigen,
  symmetricEigenvalues,
  pinv,
  cholesky,
  solveSPD,
  lstsq,
  ridge,
  fixSigns,
  orthonormalizeColumns,
} as const;
