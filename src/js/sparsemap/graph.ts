// Checks of the flat factor graph the TypeScript solver is given, as the native backend makes them
// (native/addon/sparsemap_binding.cpp graphArg, then validateGraph in native/core/sparsemap.cpp),
// with the same error classes and messages: a malformed graph is refused by either backend alike,
// never read out of bounds or solved into NaN.
import { FactorGraphData, FactorKind, MAX_COST_RATIO } from '../../kernels';
import { sequenceAdditionalLength } from './activeSet';

const MAX_INDEX = 2 ** 31 - 1;

type TypedArrayClass = Int32ArrayConstructor | Uint8ArrayConstructor | Float64ArrayConstructor;

function integerField(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number`);
  if (!(value >= min && value <= max) || !Number.isInteger(value)) throw new RangeError(`${name} must be an integer in [${min}, ${max}]`);
  return value;
}

function arrayField(value: unknown, name: string, Type: TypedArrayClass, length: number): void {
  if (!ArrayBuffer.isView(value) || value instanceof DataView) throw new TypeError(`${name} must be a typed array`);
  if (!(value instanceof Type)) throw new TypeError(`${name} has the wrong element type`);
  if (value.length < length) throw new RangeError(`${name} has ${value.length} elements, fewer than the ${length} required`);
}

const OFFSETS = ['varStart', 'intStart', 'realStart', 'addStart', 'supportStart', 'labelStart'] as const;

/** Throws the native backend's TypeError / RangeError for a graph it would refuse. */
export function validateGraph(graph: unknown): asserts graph is FactorGraphData {
  if ((typeof graph !== 'object' && typeof graph !== 'function') || graph === null) throw new TypeError('graph must be an object');
  const g = graph as Record<string, unknown>;
  const nVariables = integerField(g.nVariables, 'graph.nVariables', 1, MAX_INDEX);
  const nF = integerField(g.nFactors, 'graph.nFactors', 0, MAX_INDEX - 1);
  arrayField(g.kinds, 'graph.kinds', Int32Array, nF);
  for (const key of OFFSETS) {
    const name = `graph.${key}`;
    arrayField(g[key], name, Int32Array, nF + 1);
    const start = g[key] as Int32Array;
    if (start[0] !== 0) throw new RangeError(`${name} must start at 0`);
    for (let f = 0; f < nF; f++) if (start[f + 1] < start[f]) throw new RangeError(`${name} must not decrease`);
  }
  const data = graph as FactorGraphData;
  arrayField(g.vars, 'graph.vars', Int32Array, data.varStart[nF]);
  arrayField(g.negated, 'graph.negated', Uint8Array, data.varStart[nF]);
  arrayField(g.ints, 'graph.ints', Int32Array, data.intStart[nF]);
  arrayField(g.reals, 'graph.reals', Float64Array, data.realStart[nF]);
  validateFactors(data, nVariables, nF);
}

function validateFactors(g: FactorGraphData, nVariables: number, nF: number): void {
  const fail = (field: string, f: number, what: string): never => {
    throw new RangeError(`graph.${field}: factor ${f} ${what}`);
  };
  const seen = new Int32Array(nVariables).fill(-1);
  for (let f = 0; f < nF; f++) {
    const n = g.varStart[f + 1] - g.varStart[f];
    const nInts = g.intStart[f + 1] - g.intStart[f];
    const nReals = g.realStart[f + 1] - g.realStart[f];
    const nAdd = g.addStart[f + 1] - g.addStart[f];
    if (n < 1) fail('varStart', f, 'has no variables');
    for (let j = g.varStart[f]; j < g.varStart[f + 1]; j++) {
      const v = g.vars[j];
      if (!(v >= 0 && v < nVariables)) fail('vars', f, `has variable index ${v} out of range [0, ${nVariables - 1}]`);
      if (seen[v] === f) fail('vars', f, `has variable ${v} twice`);
      seen[v] = f;
    }
    const io = g.intStart[f];
    const ints = g.ints;
    const capacity = g.supportStart[f + 1] - g.supportStart[f];
    const labels = g.labelStart[f + 1] - g.labelStart[f];
    switch (g.kinds[f] as FactorKind) {
      case FactorKind.Xor:
      case FactorKind.AtMostOne:
      case FactorKind.Or:
        if (nAdd !== 0) fail('addStart', f, '(XOR, AtMostOne, OR) takes no additional scores');
        break;
      case FactorKind.Budget:
        if (nInts !== 2) fail('intStart', f, '(Budget) needs 2 integers, k and the exact flag');
        if (!(ints[io] >= 0 && ints[io] <= n)) fail('ints', f, `(Budget) needs k in [0, ${n}], got ${ints[io]}`);
        if (nAdd !== 0) fail('addStart', f, '(Budget) takes no additional scores');
        break;
      case FactorKind.Knapsack: {
        if (nReals !== n + 1) fail('realStart', f, '(Knapsack) needs n costs and a budget');
        const ro = g.realStart[f];
        let smallest = Infinity;
        let largest = 0;
        for (let i = 0; i < n; i++) {
          const c = g.reals[ro + i];
          if (!(c > 0 && Number.isFinite(c))) fail('reals', f, '(Knapsack) costs must be finite and > 0');
          smallest = Math.min(smallest, c);
          largest = Math.max(largest, c);
        }
        if (largest > MAX_COST_RATIO * smallest) fail('reals', f, '(Knapsack) costs must be within a factor 1e100 of each other');
        if (!(g.reals[ro + n] >= 0 && Number.isFinite(g.reals[ro + n]))) fail('reals', f, '(Knapsack) budget must be finite and >= 0');
        if (nAdd !== 0) fail('addStart', f, '(Knapsack) takes no additional scores');
        break;
      }
      case FactorKind.Pair:
        if (n !== 2) fail('varStart', f, '(Pair) needs 2 variables');
        if (nAdd !== 1) fail('addStart', f, '(Pair) needs 1 additional score');
        break;
      case FactorKind.OrOut:
        if (n < 2) fail('varStart', f, '(OrOut) needs >= 2 variables');
        if (nAdd !== 0) fail('addStart', f, '(OrOut) takes no additional scores');
        if (labels !== capacity * n) fail('labelStart', f, '(OrOut) needs n labels per structure');
        break;
      case FactorKind.Sequence:
      case FactorKind.SequenceBudget: {
        const budgeted = g.kinds[f] === FactorKind.SequenceBudget;
        if (nInts !== (budgeted ? 4 : 2)) fail('intStart', f, budgeted ? '(SequenceBudget) needs 4 integers, L, S, k and the exact flag' : '(Sequence) needs 2 integers, L and S');
        const L = ints[io];
        const S = ints[io + 1];
        if (!(L >= 1 && S >= 1 && L * S === n)) fail('ints', f, '(Sequence) needs L * S variables');
        if (nAdd !== sequenceAdditionalLength(L, S)) fail('addStart', f, '(Sequence) needs 2S + (L-1)S^2 additional scores');
        if (labels !== capacity * L) fail('labelStart', f, '(Sequence) needs L labels per structure');
        if (budgeted) {
          if (!(ints[io + 2] >= 0 && ints[io + 2] <= L)) fail('ints', f, '(SequenceBudget) needs k in [0, L]');
          if (S === 1 && ints[io + 2] !== L) fail('ints', f, '(SequenceBudget) with one state needs k = L');
        }
        break;
      }
      case FactorKind.Tree: {
        if (nInts !== 1) fail('intStart', f, '(Tree) needs 1 integer, the length');
        const length = ints[io];
        if (!(length >= 1 && length * length === n)) fail('ints', f, '(Tree) needs length^2 arc variables');
        if (nAdd !== 0) fail('addStart', f, '(Tree) takes no additional scores');
        if (labels !== capacity * length) fail('labelStart', f, '(Tree) needs length labels per structure');
        break;
      }
      case FactorKind.Dense: {
        if (!(nInts >= 1 && ints[io] >= 1 && nInts === 1 + ints[io])) fail('intStart', f, '(Dense) needs the number of groups and their sizes');
        let total = 0;
        let configurations = 1;
        for (let i = 1; i <= ints[io]; i++) {
          if (ints[io + i] < 1) fail('ints', f, '(Dense) group sizes must be >= 1');
          total += ints[io + i];
          configurations *= ints[io + i];
          if (configurations > 2 ** 30) fail('ints', f, '(Dense) has too many configurations');
        }
        if (total !== n) fail('ints', f, '(Dense) group sizes must add up to its variables');
        if (nAdd !== configurations) fail('addStart', f, '(Dense) needs one additional score per configuration');
        if (labels !== capacity * ints[io]) fail('labelStart', f, '(Dense) needs one label per group and structure');
        break;
      }
      default:
        fail('kinds', f, `has unknown kind ${g.kinds[f]}`);
    }
  }
}
