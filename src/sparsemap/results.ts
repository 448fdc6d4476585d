// The results of FactorGraph.solve and mapSolve, built from the flat graph the solve used and from
// nothing else: factors added to the graph later change neither a result nor the gradient shapes
// its backward pass accepts.
import { Backend, FactorGraphData, INFO_DUAL, INFO_ITERATIONS, INFO_LENGTH, INFO_LOCAL_SCALE, INFO_PRIMAL, INFO_STATUS, SparseMapOutputs, SparseMapParams } from '../kernels';
import { downScale, scaledBy } from '../scaling';
import { isArrayLikeOfNumbers, toFiniteFloat64 } from '../validate';
import type { MapSolveResult, SolveResult, SparseMapStatusName, StructureDistribution, WeightedStructure } from './index';

export const STATUS_NAMES: SparseMapStatusName[] = ['converged', 'max-iterations', 'active-set-max-iterations'];

/** Additional scores (or their gradients) of `data`'s factors, flat: given flat, or one array per factor. */
export function flatAdditionals(data: FactorGraphData, value: unknown, name: string): Float64Array {
  const total = data.addStart[data.nFactors];
  if (Array.isArray(value) && value.length === data.nFactors && value.some((x) => isArrayLikeOfNumbers(x))) {
    const out = new Float64Array(total);
    value.forEach((x, f) => {
      const len = data.addStart[f + 1] - data.addStart[f];
      out.set(toFiniteFloat64(x, `${name}[${f}]`, len), data.addStart[f]);
    });
    return out;
  }
  return toFiniteFloat64(value, name, total);
}

function splitAdditionals(data: FactorGraphData, flat: Float64Array): Float64Array[] {
  return Array.from({ length: data.nFactors }, (_, f) => flat.subarray(data.addStart[f], data.addStart[f + 1]));
}

/** Everything but the backward pass; `quadratic` is the weight of -1/2 ||u||^2 in the value. */
export function report(data: FactorGraphData, unary: Float64Array, additional: Float64Array, out: SparseMapOutputs, quadratic: number): MapSolveResult {
  const { u, additionals, info } = out;
  let value = 0;
  for (let i = 0; i < u.length; i++) value += unary[i] * u[i] - quadratic * 0.5 * u[i] * u[i];
  for (let j = 0; j < additionals.length; j++) value += additional[j] * additionals[j];
  const distributions = Array.from({ length: data.nFactors }, (_, i): StructureDistribution | null => {
    // Factors that report a distribution are those given room for one.
    const capacity = data.supportStart[i + 1] - data.supportStart[i];
    if (capacity === 0) return null;
    const labelLength = (data.labelStart[i + 1] - data.labelStart[i]) / capacity;
    const supportSize = out.supportCount[i];
    const count = Math.min(supportSize, capacity);
    const list: WeightedStructure[] = [];
    for (let s = 0; s < count; s++) {
      const labelOff = data.labelStart[i] + s * labelLength;
      list.push({ weight: out.supportWeights[data.supportStart[i] + s], label: out.supportLabels.subarray(labelOff, labelOff + labelLength) });
    }
    return Object.assign(list, { truncated: supportSize > count, supportSize });
  });
  const status = STATUS_NAMES[info[INFO_STATUS]];
  return {
    u, additionals: splitAdditionals(data, additionals), value, status, converged: status === 'converged',
    iterations: info[INFO_ITERATIONS], primalResidual: info[INFO_PRIMAL], dualResidual: info[INFO_DUAL], distributions,
  };
}

/** report() with the backward pass, which differentiates the solve on `data`, whatever the graph has become since. */
export function solveResult(backend: Backend, params: SparseMapParams, data: FactorGraphData, unary: Float64Array, additional: Float64Array, out: SparseMapOutputs): SolveResult {
  const localInputs = out.localInputs;
  const localScale = out.info[INFO_LOCAL_SCALE];
  // A copy: the distributions hand out views of the labels, which callers may change.
  const supports = { supportCount: out.supportCount.slice(), supportWeights: out.supportWeights.slice(), supportLabels: out.supportLabels.slice() };
  const n = data.nVariables;
  return {
    ...report(data, unary, additional, out, 1),
    backward: (gradU, gradAdditionals) => {
      const gu = toFiniteFloat64(gradU, 'gradU', n);
      const gv = gradAdditionals === undefined ? new Float64Array(data.addStart[data.nFactors]) : flatAdditionals(data, gradAdditionals, 'gradAdditionals');
      const gradOut = { gradUnary: new Float64Array(n), gradAdditional: new Float64Array(gv.length), info: new Float64Array(INFO_LENGTH) };
      const s = downScale(gu, gv);
      backend.sparsemapBackward(data, unary, additional, localInputs, localScale, supports, scaledBy(gu, -s), scaledBy(gv, -s), params, gradOut);
      return {
        unary: scaledBy(gradOut.gradUnary, s), additionals: splitAdditionals(data, scaledBy(gradOut.gradAdditional, s)),
        status: STATUS_NAMES[gradOut.info[INFO_STATUS]], iterations: gradOut.info[INFO_ITERATIONS],
      };
    },
  };
}
