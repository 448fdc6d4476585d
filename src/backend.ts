// Backend selection: the native addon when a binary loads, else the pure TypeScript twin with a
// one-line notice. SSHN_BACKEND=js|native forces one (native forced but missing is an error).
import * as path from 'node:path';
import { Backend, BackendName, Kernels } from './kernels';
import * as jsBinary from './js/binaryHopfield';
import { threadedBinaryRecall } from './js/binaryThreads';
import * as jsSparseMap from './js/sparsemap/solver';
import * as jsLshn from './js/lshn';
import * as jsMemory from './js/memory';
import * as jsTransforms from './js/transforms';
import { describe } from './validate';

/** Runs a synchronous kernel after the current turn of the event loop, as a promise. */
function deferred<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => Promise<R> {
  return (...args: A) =>
    new Promise<R>((resolve, reject) => {
      setImmediate(() => {
        try {
          resolve(fn(...args));
        } catch (error) {
          reject(error);
        }
      });
    });
}

const jsKernels: Kernels = {
  binaryRecall: threadedBinaryRecall,
  binaryRecallAsync: deferred(threadedBinaryRecall),
  binaryEnergy: jsBinary.binaryEnergy,
  binaryStore: jsBinary.binaryStore,
  binaryStoreAsync: deferred(jsBinary.binaryStore),
  sparsemapSolve: jsSparseMap.sparsemapSolve,
  sparsemapSolveAsync: deferred(jsSparseMap.sparsemapSolve),
  sparsemapBackward: jsSparseMap.sparsemapBackward,
  sparsemapSolveBatch: jsSparseMap.sparsemapSolveBatch,
  sparsemapSolveBatchAsync: deferred(jsSparseMap.sparsemapSolveBatch),
  kSubsetsBatch: jsSparseMap.kSubsetsBatch,
  sequentialKSubsetsBatch: jsSparseMap.sequentialKSubsetsBatch,
  kSubsetsBatchAsync: deferred(jsSparseMap.kSubsetsBatch),
  sequentialKSubsetsBatchAsync: deferred(jsSparseMap.sequentialKSubsetsBatch),
  kSubsetsBackwardBatch: jsSparseMap.kSubsetsBackwardBatch,
  sequentialKSubsetsBackwardBatch: jsSparseMap.sequentialKSubsetsBackwardBatch,
  lshnMlp: jsLshn.lshnMlp,
  lshnMlpAsync: deferred(jsLshn.lshnMlp),
  lshnDynamics: jsLshn.lshnDynamics,
  lshnDynamicsAsync: deferred(jsLshn.lshnDynamics),
  lshnOneStepGrad: jsLshn.lshnOneStepGrad,
  lshnOneStepGradAsync: deferred(jsLshn.lshnOneStepGrad),
  transformForward: jsTransforms.transformForward,
  transformForwardAsync: deferred(jsTransforms.transformForward),
  transformJvp: jsTransforms.transformJvp,
  transformAlphaGradient: jsTransforms.transformAlphaGradient,
  memoryRetrieve: jsMemory.memoryRetrieve,
  memoryRetrieveAsync: deferred(jsMemory.memoryRetrieve),
  memoryScores: jsMemory.memoryScores,
  memoryGram: jsMemory.memoryGram,
  memoryFirstNonFinite: jsMemory.memoryFirstNonFinite,
};

const jsBackend: Backend = Object.freeze({ name: 'js' as const, ...jsKernels });

const packageRoot = path.join(__dirname, '..');
/** Version of the kernel interface (native/addon/addon.cpp exports the same number); bumped whenever kernels change. */
const ADDON_ABI_VERSION = 3;
let nativeBackend: Backend | null | undefined;
let nativeLoadError: Error | undefined;
let nativeBinaryPath: string | undefined;

function loadNative(): Backend | null {
  if (nativeBackend !== undefined) return nativeBackend;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nodeGypBuild = require('node-gyp-build') as ((dir: string) => Kernels) & { resolve?: (dir: string) => string };
    nativeBinaryPath = nodeGypBuild.resolve ? nodeGypBuild.resolve(packageRoot) : undefined;
    nativeBackend = Object.freeze({ ...checkAddon(nodeGypBuild(packageRoot)), name: 'native' as const });
  } catch (error) {
    nativeLoadError = error as Error;
    nativeBackend = null;
  }
  return nativeBackend;
}

/**
 * The loaded addon, or an error when it was built from other sources (an old build/ or prebuild):
 * such a binary lacks kernels this code calls.
 *
 * @internal
 */
export function checkAddon(addon: unknown): Kernels {
  const version = (addon as { abiVersion?: unknown } | null)?.abiVersion;
  if (version !== ADDON_ABI_VERSION) {
    throw new Error(`the native binary is stale (kernel interface version ${String(version)}, this code needs ${ADDON_ABI_VERSION}); rebuild it`);
  }
  return addon as Kernels;
}

function firstLine(error: Error | undefined): string {
  return (error?.message ?? 'unknown reason').split('\n')[0];
}

let active: Backend;
let noticeShown = false;

function initialBackend(): Backend {
  const requested = process.env.SSHN_BACKEND;
  if (requested === 'js') return jsBackend;
  if (requested === 'native') {
    const native = loadNative();
    if (!native) throw new Error(`sshn: SSHN_BACKEND=native but the native addon could not be loaded: ${firstLine(nativeLoadError)}`);
    return native;
  }
  if (requested !== undefined && requested !== '') {
    throw new Error(`sshn: SSHN_BACKEND must be 'js' or 'native', got '${requested}'`);
  }
  const native = loadNative();
  if (native) return native;
  if (!noticeShown) {
    noticeShown = true;
    process.stderr.write(`sshn: native addon not available (${firstLine(nativeLoadError)}); using the pure TypeScript backend\n`);
  }
  return jsBackend;
}

active = initialBackend();

/** The active backend's name, kept current for the `backend` export of the package. */
export const activeState: { name: BackendName } = { name: active.name };

/**
 * The backend new objects use by default.
 *
 * @example
 * ```ts
 * activeBackend().name; // 'native' or 'js'
 * ```
 */
export function activeBackend(): Backend {
  return active;
}

/**
 * Looks up a backend by name; throws if the native one is asked for but cannot load.
 *
 * @example
 * ```ts
 * const js = getBackend('js');
 * ```
 */
export function getBackend(name?: BackendName): Backend {
  if (name === undefined) return active;
  if (name === 'js') return jsBackend;
  if (name === 'native') {
    const native = loadNative();
    if (!native) throw new Error(`sshn: the native addon could not be loaded: ${firstLine(nativeLoadError)}`);
    return native;
  }
  throw new (typeof name === 'string' ? RangeError : TypeError)(`backend must be 'js' or 'native', got ${describe(name)}`);
}

/**
 * Makes `backend` the default backend for objects created from now on.
 *
 * @example
 * ```ts
 * setBackend('js'); // new networks use the pure TypeScript twin
 * ```
 */
export function setBackend(backend: BackendName): void {
  if (backend === undefined) throw new TypeError("backend must be 'js' or 'native', got undefined");
  active = getBackend(backend);
  activeState.name = active.name;
}

/**
 * Names of the backends that can run here.
 *
 * @example
 * ```ts
 * availableBackends(); // ['native', 'js']
 * ```
 */
export function availableBackends(): BackendName[] {
  return loadNative() ? ['native', 'js'] : ['js'];
}

/**
 * What is loaded, for diagnostics.
 *
 * @example
 * ```ts
 * backendInfo(); // { active: 'native', nativeAvailable: true, nativeBinary: '.../sshn.node', gemmKernel: 'avx2' }
 * ```
 */
export function backendInfo(): { active: BackendName; nativeAvailable: boolean; nativeBinary?: string; nativeError?: string; gemmKernel?: string } {
  const native = loadNative();
  return {
    active: active.name,
    nativeAvailable: native !== null,
    nativeBinary: native ? nativeBinaryPath : undefined,
    nativeError: native ? undefined : firstLine(nativeLoadError),
    gemmKernel: native ? (native as unknown as { gemmKernel(): string }).gemmKernel() : undefined,
  };
}
