// sshn: sparse and structured Hopfield networks. Public API.
import { activeBackend } from './backend';
import type { BackendName } from './kernels';

export { activeBackend, availableBackends, backendInfo, getBackend, setBackend } from './backend';
export type { BackendName } from './kernels';
export { getLimits, setLimits } from './limits';
export { Rng } from './rng';
export type { Matrix } from './validate';

export { BinaryHopfield } from './hopfield/binary';
export type { BinaryHopfieldOptions, RecallModeName, RecallOptions, RecallResult, StorageRule } from './hopfield/binary';
export { binarize, flipBits, hammingDistance, hammingSimilarity, overlap, randomPatterns, similarityMatrix, toBinary, toBipolar } from './hopfield/patterns';
export type { PatternSet } from './hopfield/patterns';
export { capacityCurve, capacityCurveAsync, spuriousStates, spuriousStatesAsync } from './hopfield/analysis';
export type { CapacityOptions, CapacityPoint, SpuriousOptions, SpuriousStateReport } from './hopfield/analysis';
export { ModelFileError } from './io/modelFile';

export { entmax, entmax15, kSubsets, normmax, softmax, sparsemax } from './transforms/index';
export type {
  EntmaxOptions,
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

/** Name of the active backend ('native' or 'js'). */
export declare const backend: BackendName;
Object.defineProperty(exports, 'backend', { enumerable: true, get: () => activeBackend().name });
