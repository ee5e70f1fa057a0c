// @lab/core public API. Every public name is listed here explicitly, grouped by area.
// Method packages import tfjs only through this module: `import { tf } from '@lab/core'`.

export * as tf from '@tensorflow/tfjs';

// ── backend ─────────────────────────────────────────────────────────────────────────────
export { initBackend, currentBackend } from './backend.js';
export type { BackendName, InitBackendOptions } from './backend.js';

// ── errors and validation ───────────────────────────────────────────────────────────────
export {
  LabError,
  assertShape,
  assertRank,
  assertDtype,
  assertFinite,
  assertNonEmpty,
  assertInRange,
  assertOneOf,
} from './errors.js';
export type { LabErrorCode, RangeSpec } from './errors.js';

// ── strict options objects ──────────────────────────────────────────────────────────────
export { strictOptions } from './options.js';
export type { OptionChecks } from './options.js';

// ── random ──────────────────────────────────────────────────────────────────────────────
export { Rng } from './random.js';

// ── statistics over seeds and replication reports ───────────────────────────────────────
export {
  meanStd,
  pairedDiff,
  formatMeanStd,
  pairedStatistics,
  meanInterval,
  signFlipPValue,
  studentTCdf,
  studentTQuantile,
  SIGN_FLIP_EXACT_MAX,
} from './stats.js';
export type { MeanStd, PairedDiff, PairedStatistics } from './stats.js';
export { resolveSeeds, summarizeRows, compareMethods, criterion, verdictFrom, buildReport } from './report.js';
export type {
  Verdict,
  Preset,
  ReplicationRow,
  MetricSummary,
  PairedComparison,
  Criterion,
  ReplicationReport,
  ReplicateOptions,
  ProgressEvent,
} from './report.js';

// ── testing helpers ─────────────────────────────────────────────────────────────────────
export { gradCheck, maxRelativeError, flatten, tensorLeak, runCliCaptured } from './testing.js';
export type { GradCheckOptions, GradCheckResult, CapturedCliRun } from './testing.js';

// ── CLI and files ───────────────────────────────────────────────────────────────────────
export { runCli, runCliIfMain, defineCommand, withFlagNames, COMMON_OPTIONS } from './cli/driver.js';
export type { CliSpec, CliCommand, CliContext } from './cli/driver.js';
export { parseSeeds, numberOption } from './cli/options.js';
export type {
  CliOption,
  BooleanOption,
  StringOption,
  NumberOption,
  NumberListOption,
  ChoiceOption,
  ChoiceListOption,
  InputPathOption,
  OutputPathOption,
  JsonOption,
  SeedsOption,
  JsonTarget,
  OptionValue,
  OptionValues,
} from './cli/options.js';
export { checkInputPath, checkOutputPath } from './cli/paths.js';
export { replicateCommand } from './cli/replicate-command.js';
export type { ReplicateCommandOptions } from './cli/replicate-command.js';
export { formatReport } from './report-format.js';
export { defaultChart, renderChartSvg } from './chart.js';
export type { ChartSpec } from './chart.js';
export type { FormatReportOptions } from './report-format.js';
export { writeFileAtomic } from './io.js';

// ── WASM completion (owner: wasm) ───────────────────────────────────────────────────────
export { registerWasmCompletions } from './wasm/register.js';
export { wasmThreads } from './wasm/threads.js';

// ── autograd, nn, optimisers, training loop, safetensors (owner: nn) ───────────────────
export {
  valueAndGrads,
  disposeGrads,
  softmaxCrossEntropyScaleGrad,
  irmPenaltyClosedForm,
  hessianVectorProduct,
  finiteDifferenceHvp,
} from './autograd.js';
export type { ParamSet, GradSet, ValueAndGrads } from './autograd.js';
export { Module, ModuleList, Sequential } from './nn/module.js';
export type {
  Layer,
  StateDict,
  NamedParametersOptions,
  LoadStateDictOptions,
  LoadStateDictResult,
} from './nn/module.js';
export {
  computeFans,
  calculateGain,
  uniformInit,
  normalInit,
  truncatedNormalInit,
  kaimingUniformInit,
  kaimingNormalInit,
  xavierUniformInit,
  xavierNormalInit,
  torchDefaultWeightInit,
} from './nn/init.js';
export type { Initializer, Nonlinearity, KaimingOptions } from './nn/init.js';
export { activation, Linear, MLP, Dropout, Embedding } from './nn/layers.js';
export type { ActivationName, LinearOptions, MlpOptions, DropoutOptions, EmbeddingOptions } from './nn/layers.js';
export { LayerNorm, RMSNorm, BatchNorm, BatchNorm1d, BatchNorm2d } from './nn/norm.js';
export type { LayerNormOptions, RmsNormOptions, BatchNormOptions } from './nn/norm.js';
export { Conv2d, CnnEncoder, BasicBlock, ResNet } from './nn/conv.js';
export type { Conv2dOptions, CnnEncoderOptions, ResNetOptions } from './nn/conv.js';
export { torchLayoutTransform } from './nn/torch.js';
export { Optimizer } from './optim/optimizer.js';
export type { OptimizerParams, Gradients, OptimizerState } from './optim/optimizer.js';
export { SGD } from './optim/sgd.js';
export type { SgdOptions } from './optim/sgd.js';
export { Adam, AdamW } from './optim/adam.js';
export type { AdamOptions } from './optim/adam.js';
export { constantLr, stepLr, cosineLr, linearWarmupLr } from './optim/schedule.js';
export type { LrSchedule, StepLrOptions, CosineLrOptions, LinearWarmupOptions } from './optim/schedule.js';
export { globalNorm, clipByGlobalNorm } from './optim/clip.js';
export {
  SAFETENSORS_MAX_HEADER_BYTES,
  SAFETENSORS_MAX_TENSORS,
  SafetensorsFile,
  decodeSafetensors,
  encodeSafetensors,
  entryToTensor,
  safetensorsToTensors,
  loadSafetensors,
  openSafetensors,
  resolveSafetensorsShards,
  saveSafetensors,
  float16ToFloat32,
  float32ToFloat16,
  bfloat16ToFloat32,
  float32ToBfloat16,
} from './safetensors.js';
export type {
  SafetensorsDtype,
  UnsupportedSafetensorsDtype,
  SafetensorsEntry,
  SafetensorsInput,
  SafetensorsTensorInfo,
  SafetensorsShards,
  ResolveSafetensorsShardsOptions,
  DecodedSafetensors,
  DecodeSafetensorsOptions,
  LoadedSafetensors,
} from './safetensors.js';
export { fit } from './train/fit.js';
export type {
  FitOptions,
  FitResult,
  FitCallbacks,
  StepInfo,
  EpochRecord,
  EarlyStoppingOptions,
  CheckpointOptions,
} from './train/fit.js';
export { ProgressReporter, progressModeFromEnv } from './train/progress.js';
export type { ProgressMode, TrainProgress, ProgressReporterOptions } from './train/progress.js';
export { saveCheckpoint, loadCheckpoint, readCheckpointMeta } from './train/checkpoint.js';
export type { CheckpointMeta } from './train/checkpoint.js';

// ── data, linear algebra, metrics (owner: data) ─────────────────────────────────────────
export { loadMnist, mnistGoldenOrder, selectImages, avgPool2, MNIST_CLASS_COUNTS } from './data/mnist.js';
export type { LabeledImages, LoadMnistOptions } from './data/mnist.js';
export {
  batchIndices,
  iterateBatches,
  numBatches,
  shuffleInPlace,
  splitIndices,
  gatherRows,
  kFoldSplits,
  samplePerClass,
} from './data/batching.js';
export type { BatchOptions } from './data/batching.js';
export { symmetricLabelNoise, asymmetricLabelNoise, noiseTransitionMatrix, ASYM_MAPS } from './data/label-noise.js';
export type {
  UniformSource,
  LabelNoiseResult,
  NoiseCount,
  SymmetricNoiseOptions,
  AsymmetricNoiseOptions,
} from './data/label-noise.js';
export {
  randomCrop,
  randomShift,
  rot90,
  randomRot90,
  randomFlip,
  gaussianNoise,
  uniformNoise,
  randomResizedCrop,
  intensityJitter,
  cutout,
  augmentBatch,
  augment,
  defaultRandomResizedCropOptions,
  defaultIntensityJitterOptions,
} from './data/augment.js';
export type {
  ImageSizeOption,
  PadMode,
  RandomCropOptions,
  RandomFlipOptions,
  GaussianNoiseOptions,
  RandomResizedCropOptions,
  IntensityJitterOptions,
  CutoutOptions,
  AugmentOptions,
} from './data/augment.js';
export {
  gaussianMixture,
  twoMoons,
  spirals,
  shuffleRows,
  coloredShapes,
  COLORED_SHAPE_CLASSES,
} from './data/synthetic.js';
export type { SyntheticData, GaussianMixtureOptions, ColoredShapesOptions } from './data/synthetic.js';
export {
  toHostMatrix,
  hostMatrix,
  toNestedArray,
  hostMatrixToTensor,
  transposeHost,
  matmulHost,
  identityMatrix,
  fixSigns,
  svd,
  svdJacobi,
  symmetricEigen,
  symmetricEigenvalues,
  pinv,
  cholesky,
  solveSPD,
  lstsq,
  ridge,
} from './linalg/dense.js';
export type { HostMatrix, MatrixLike, SvdResult, SvdOptions, EigResult } from './linalg/dense.js';
export { svdLowRank, orthonormalizeColumns, defaultSvdLowRankOptions } from './linalg/low-rank.js';
export type { SvdLowRankOptions } from './linalg/low-rank.js';
export { linalg } from './linalg/namespace.js';
export { accuracy, rocAuc } from './metrics/classification.js';
export { quantile, rankData, pearson, spearman } from './metrics/correlation.js';
export {
  knnClassify,
  knnAccuracy,
  defaultKnnOptions,
  linearProbe,
  defaultLinearProbeOptions,
} from './metrics/probes.js';
export type { KnnOptions, ProbeProtocol, LinearProbeOptions, LinearProbeResult } from './metrics/probes.js';

// ── contrastive losses shared by methods (owner: symnce) ────────────────────────────────
export {
  ntXentLoss,
  defaultNtXentOptions,
  contrastiveCrossEntropy,
  meanOverPositives,
  contrastiveLogits,
  cosineSimilarityMatrix,
  l2Normalize,
  maskDiagonal,
  offDiagonalLogSoftmax,
  flattenViews,
  viewPositiveMask,
  labelPositiveMask,
  validateContrastiveFeatures,
  MASKED_LOGIT,
  NORMALIZE_EPS,
} from './losses/contrastive.js';
export type { NtXentOptions } from './losses/contrastive.js';
