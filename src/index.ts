// sshn: sparse and structured Hopfield networks. Public API.
import { activeState } from './backend';
import type { BackendName } from './kernels';

export { availableBackends, backendInfo, setBackend } from './backend';
export type { BackendName, FactorGraphData } from './kernels';
export type { NumericArray } from './validate';
export { getLimits, setLimits } from './limits';
export { Rng } from './rng';
export type { Matrix, Rows } from './validate';

export { BinaryHopfield } from './hopfield/binary';
export type { BinaryHopfieldOptions, FromWeightsOptions, RecallModeName, RecallOptions, RecallResult, StorageRule } from './hopfield/binary';
export { binarize, flipBits, hammingDistance, hammingSimilarity, overlap, randomPatterns, similarityMatrix, toBinary, toBipolar } from './hopfield/patterns';
export type { PatternSet, RandomPatternsOptions } from './hopfield/patterns';
export { capacityCurve, capacityCurveAsync, spuriousStates, spuriousStatesAsync } from './hopfield/analysis';
export type { CapacityOptions, CapacityPoint, SpuriousOptions, SpuriousStateReport } from './hopfield/analysis';
export { ModelFileError } from './io/modelFile';
export { barChartSvg, capacityCurveSvg, energyTraceSvg, labelMapSvg, lineChartSvg, patternGridSvg, supportHistogramSvg } from './plot/svg';
export type { ChartOptions, LabelMapOptions, PatternGridOptions, Series } from './plot/svg';
export {
  FactorGraph, kSubsetsExact, kSubsetsExactBackward, kSubsetsExactBatch, kSubsetsExactBatchAsync, sequentialKSubsets, sequentialKSubsetsBackward,
  sequentialKSubsetsBatch, sequentialKSubsetsBatchAsync,
} from './sparsemap/index';
export type {
  BatchOptions, BudgetOptions, KnapsackOptions, MapSolveResult, SequenceBudgetOptions, SequentialKSubsetsResult, SolveBatchResult, SequenceOptions, SequentialKSubsetsOptions, SolveOptions, SolveResult, SparseMapGradients,
  SparseMapStatusName, StructureDistribution, TreeOptions, WeightedStructure,
} from './sparsemap/index';
export { readSafetensors, readSafetensorsFile, SafetensorsError, writeSafetensors } from './io/safetensors';
export type { SafetensorsDtype, SafetensorsFile, Tensor, TensorData, TensorInput } from './io/safetensors';
export { IdxError, readIdx, readIdxFile } from './io/idx';
export type { IdxArray, IdxData } from './io/idx';
export * from './lshn/index';

export { entmax, entmax15, kSubsets, normmax, softmax, sparsemax } from './transforms/index';
export type {
  EntmaxOptions,
  EntmaxTransform,
  KSubsetsOptions,
  MatrixInput,
  NormmaxOptions,
  RealArray,
  RealMatrix,
  Transform,
  TransformInput,
  TransformOptions,
  TransformSolution,
  VectorInput,
} from './transforms/index';

/**
 * Name of the active backend ('native' or 'js').
 *
 * @example
 * ```ts
 * import { backend } from 'sshn';
 * console.log(backend);
 * ```
 */
export declare const backend: BackendName;
// Written in the one getter form Node's CommonJS export detection recognises, so that
// `import { backend } from 'sshn'` works from ES modules too.
const state = activeState;
Object.defineProperty(exports, 'backend', { enumerable: true, get: function () { return state.name; } });

export { HopfieldMemory } from './memory/index';
export { HopfieldPooling } from './memory/pooling';
export type { HopfieldPoolingOptions, PoolingGradients, PoolingOutput } from './memory/pooling';
export { AdamW } from './optim';
export type { AdamWOptions } from './optim';
export type {
  BatchRetrievalResult, BatchRetrieveOptions, GramMatrix, GramOptions, HopfieldMemoryOptions, MemoryTransform, RetrievalCertificate, RetrievalResult, RetrievalStatus,
  RetrieveOptions, SparseRows,
} from './memory/index';
