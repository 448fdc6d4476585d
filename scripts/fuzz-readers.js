// A seeded mutation fuzzer for the file readers, which are TypeScript (libFuzzer cannot reach them;
// Jazzer.js's prebuilt engine needs a newer glibc than Debian 12 has). It mutates valid seed files
// (bit flips, truncations, splices, oversize length fields, header edits, tensor and metadata names
// of Object.prototype, model contents edited with their checksums repaired so the damage reaches the
// consistency checks) and feeds them to readSafetensors (+ a round trip through writeSafetensors and
// LatentHopfield.fromSafetensors), BinaryHopfield.fromBuffer (+ recalls in both backends, with both
// kinds of Hebbian fields) and readIdx. The file readers also get hostile paths: a directory,
// /dev/zero, a FIFO, a procfs file and files above the size limit. Every failure must be the
// reader's documented error class, a TypeError or a RangeError; any other exception, a slow call,
// an inconsistent result or a backend disagreement is a finding, saved under build-fuzz/ and
// reported (exit status 1).
//
// Usage: node scripts/fuzz-readers.js [--iterations N] [--seed S] [--merge]
//   N mutated inputs per reader (default FUZZ_ITERATIONS or 20000); the corpus in test/fuzz-corpus/<reader>
//   is replayed first and mutated along with the seeds; --merge adds inputs whose outcome (the error
//   message with its numbers blanked, or success) was new, at most 24 per reader.
'use strict';
const crypto = require('node:crypto');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const sshn = require(path.join(__dirname, '..', 'lib'));
const { crc32 } = require(path.join(__dirname, '..', 'lib', 'io', 'modelFile'));

const root = path.join(__dirname, '..');
const CORPUS = path.join(root, 'test', 'fuzz-corpus');
const FINDINGS = path.join(root, 'build-fuzz', 'reader-findings');
const SLOW_MS = 2000;
const MAX_CORPUS = 32;

const INTERESTING_32 = [0, 1, 2, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff];

/** A random integer in [0, n). */
const below = (rng, n) => rng.below(n);
const pick = (rng, list) => list[below(rng, list.length)];

/** Generic byte-level damage. */
function mutateBytes(bytes, rng, others) {
  let b = Uint8Array.from(bytes);
  const kind = below(rng, 9);
  const at = () => below(rng, Math.max(1, b.length));
  if (b.length === 0 && kind < 6) return Uint8Array.of(below(rng, 256));
  switch (kind) {
    case 0: // flip a few bits
      for (let i = 1 + below(rng, 4); i > 0; i--) b[at()] ^= 1 << below(rng, 8);
      return b;
    case 1: // set a byte to an edge value
      b[at()] = pick(rng, [0, 1, 0x7f, 0x80, 0xfe, 0xff]);
      return b;
    case 2: { // overwrite an aligned 32-bit word (a length or count field, little or big endian)
      const off = Math.min(b.length - 4, 4 * below(rng, Math.ceil(b.length / 4)));
      if (off < 0) return b;
      const v = rng.nextDouble() < 0.5 ? pick(rng, INTERESTING_32) : (new DataView(b.buffer).getUint32(off, true) + below(rng, 17) - 8) >>> 0;
      new DataView(b.buffer).setUint32(off, v, rng.nextDouble() < 0.5);
      return b;
    }
    case 3: // truncate
      return b.slice(0, at());
    case 4: { // extend with random bytes
      const extra = Uint8Array.from({ length: 1 + below(rng, 16) }, () => below(rng, 256));
      return Uint8Array.from([...b, ...extra]);
    }
    case 5: { // delete a chunk
      const s = at();
      return Uint8Array.from([...b.subarray(0, s), ...b.subarray(s + 1 + below(rng, 16))]);
    }
    case 6: { // duplicate a chunk in place
      const s = at();
      const chunk = b.subarray(s, s + 1 + below(rng, 32));
      return Uint8Array.from([...b.subarray(0, s), ...chunk, ...b.subarray(s)]);
    }
    case 7: { // splice the tail of another input
      const other = pick(rng, others);
      return Uint8Array.from([...b.subarray(0, at()), ...other.subarray(below(rng, Math.max(1, other.length)))]);
    }
    default: // an 8-byte little-endian field (safetensors header length, model payload length)
      if (b.length >= 8) new DataView(b.buffer).setBigUint64(8 * below(rng, Math.floor(b.length / 8)), BigInt(pick(rng, [0, 1, 2, 8, 2 ** 32, 2 ** 53, b.length, b.length - 7, 100_000_000, 100_000_001, Number.MAX_SAFE_INTEGER])), true);
      return b;
  }
}

// --- safetensors: edit the JSON header, then rewrite its length ---

const PROTOTYPE_NAMES = ['__proto__', 'constructor', 'hasOwnProperty', 'toString', 'valueOf'];

function editHeader(bytes, rng) {
  if (bytes.length < 8) return bytes;
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  if (8 + length > bytes.length) return bytes;
  let header;
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + length)).toString('utf8'));
  } catch {
    return bytes;
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) return bytes;
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  const chosen = names.length ? header[pick(rng, names)] : null;
  const entry = chosen !== null && typeof chosen === 'object' && !Array.isArray(chosen) ? chosen : null;
  const odd = () => pick(rng, [-1, 0, 1, 1.5, 2 ** 31, 2 ** 32 - 1, 2 ** 53, Number.MAX_SAFE_INTEGER, 1e300, '3', null, [], {}]);
  switch (below(rng, 10)) {
    case 0:
      if (entry) entry.dtype = pick(rng, ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U8', 'BOOL', 'U64', 'f32', '', 7]);
      break;
    case 1:
      if (entry && Array.isArray(entry.shape)) {
        if (entry.shape.length && rng.nextDouble() < 0.7) entry.shape[below(rng, entry.shape.length)] = rng.nextDouble() < 0.5 ? entry.shape[0] + below(rng, 3) - 1 : odd();
        else entry.shape.push(below(rng, 3));
      }
      break;
    case 2:
      if (entry && Array.isArray(entry.data_offsets)) entry.data_offsets[below(rng, 2)] = rng.nextDouble() < 0.6 ? entry.data_offsets[0] + below(rng, 9) - 4 : odd();
      break;
    case 3:
      if (entry) delete entry[pick(rng, ['dtype', 'shape', 'data_offsets'])];
      break;
    case 4:
      header.__metadata__ = pick(rng, [{ a: 'b' }, { a: 1 }, 'x', null, []]);
      break;
    case 5:
      if (names.length) delete header[pick(rng, names)];
      break;
    case 6:
      header[`extra${below(rng, 3)}`] = entry ? { ...entry } : odd();
      break;
    case 8: {
      // A tensor renamed to a name of Object.prototype (built without prototype: a plain object would lose __proto__).
      if (names.length === 0) break;
      const victim = pick(rng, names);
      const renamed = Object.create(null);
      for (const [k, v] of Object.entries(header)) renamed[k === victim ? pick(rng, PROTOTYPE_NAMES) : k] = v;
      return withHeader(bytes, length, JSON.stringify(renamed));
    }
    case 9:
      header.__metadata__ = JSON.parse(`{${JSON.stringify(pick(rng, PROTOTYPE_NAMES))}: "x", "b": "y"}`);
      break;
    default: {
      // A repeated name: JSON.parse would keep only the last one.
      const text = JSON.stringify(header);
      if (names.length === 0) break;
      const dup = `${JSON.stringify(names[0])}:${JSON.stringify(header[names[0]])},`;
      return withHeader(bytes, length, `{${dup}${text.slice(1)}`);
    }
  }
  return withHeader(bytes, length, JSON.stringify(header));
}

function withHeader(bytes, oldLength, text) {
  const head = Buffer.from(text, 'utf8');
  const out = new Uint8Array(8 + head.length + bytes.length - 8 - oldLength);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  out.set(bytes.subarray(8 + oldLength), 8 + head.length);
  return out;
}

// --- model files: repair the checksums so that damage reaches the field checks (see src/io/modelFile.ts) ---

const MODEL_HEADER = 64;

function repairModelChecksums(bytes) {
  if (bytes.length < MODEL_HEADER) return bytes;
  const b = Uint8Array.from(bytes);
  const view = new DataView(b.buffer);
  view.setUint32(44, crc32(b.subarray(MODEL_HEADER)), true);
  view.setUint32(60, crc32(b.subarray(0, 60)), true);
  return b;
}

function editModelHeader(bytes, rng) {
  if (bytes.length < MODEL_HEADER) return bytes;
  const b = Uint8Array.from(bytes);
  const view = new DataView(b.buffer);
  switch (below(rng, 6)) {
    case 0: view.setUint32(12, pick(rng, [0, 1, view.getUint32(12, true) + 1, 0xffff, 0x10000, 0xffffffff]), true); break; // n
    case 1: view.setUint32(16, pick(rng, [0, 1, view.getUint32(16, true) + 1, 2 ** 31, 0xffffffff]), true); break; // patterns
    case 2: b[20 + below(rng, 3)] = below(rng, 9); break; // rule, weight type, flags
    case 3: view.setFloat64(24, pick(rng, [0, -1, NaN, Infinity, 1e-300, 1e300, 1.7e308, 1, 1 / view.getUint32(12, true)]), true); break; // scale
    case 4: view.setUint32(32, pick(rng, [0, 1, 0xffffffff]), true); break; // rank
    default: view.setFloat64(36, pick(rng, [0, -1, NaN, 2 ** 53, view.getFloat64(36, true) + 1]), true); // payload length
  }
  return b;
}

/**
 * Damage to the payload that keeps the sizes (so, with the checksums repaired, only the consistency
 * checks can catch it): a pattern entry, a weight pair, a diagonal entry or a threshold; or a header
 * field the contents must agree with (rule, scale, rank, zeroed diagonal).
 */
function editModelContent(bytes, rng) {
  if (bytes.length < MODEL_HEADER) return bytes;
  const b = Uint8Array.from(bytes);
  const view = new DataView(b.buffer);
  const n = view.getUint32(12, true);
  const p = view.getUint32(16, true);
  const type = b[21];
  const flags = b[22];
  const width = [1, 2, 4, 8][type];
  const patternsEnd = MODEL_HEADER + p * n;
  const weightsAt = patternsEnd + (flags & 2 ? 8 * n : 0);
  if (width === undefined || n === 0 || weightsAt + n * n * width > b.length) return b;
  const entry = (i, j) => weightsAt + (i * n + j) * width;
  const setWeight = (at, v) => (width === 8 ? view.setFloat64(at, v, true) : width === 4 ? view.setInt32(at, v, true) : width === 2 ? view.setInt16(at, v, true) : view.setInt8(at, v));
  const getWeight = (at) => (width === 8 ? view.getFloat64(at, true) : width === 4 ? view.getInt32(at, true) : width === 2 ? view.getInt16(at, true) : view.getInt8(at));
  const i = below(rng, n);
  const j = below(rng, n);
  switch (below(rng, 8)) {
    case 0:
      if (p > 0) b[MODEL_HEADER + below(rng, p * n)] ^= 0xfe; // +1 <-> -1
      break;
    case 1: { // a pair (i, j), (j, i) by the same amount: integer counts keep their parity
      const v = width === 8 ? pick(rng, [NaN, Infinity, 1e300, 1.7e308, 0.5, -0.25]) : getWeight(entry(i, j)) + pick(rng, [-2, 2, 4]);
      setWeight(entry(i, j), v);
      setWeight(entry(j, i), v);
      break;
    }
    case 2:
      setWeight(entry(i, i), width === 8 ? pick(rng, [0.5, -1, NaN]) : pick(rng, [0, 1, p]));
      break;
    case 3:
      if (flags & 2) view.setFloat64(patternsEnd + 8 * i, pick(rng, [NaN, -Infinity, 1e200, 1e150, -1e150]), true);
      break;
    case 4: b[20] = below(rng, 4); break; // rule
    case 5: view.setFloat64(24, pick(rng, [1.7e308, 1 / n, 1, 2, 1e-300]), true); break; // scale
    case 6: view.setUint32(32, pick(rng, [0, 1, p, p + 1, n + 1]), true); break; // rank
    default: b[22] ^= 1; // zeroed diagonal
  }
  return repairModelChecksums(b);
}

// --- IDX: edit the type, rank and dimensions ---

function editIdxHeader(bytes, rng) {
  if (bytes.length < 4) return bytes;
  const b = Uint8Array.from(bytes);
  const rank = b[3];
  switch (below(rng, 3)) {
    case 0: b[2] = pick(rng, [0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0]); break;
    case 1: b[3] = pick(rng, [0, 1, rank + 1, Math.max(0, rank - 1), 255]); break;
    default:
      if (rank > 0 && b.length >= 4 + 4 * rank) new DataView(b.buffer).setUint32(4 + 4 * below(rng, rank), pick(rng, INTERESTING_32), false);
  }
  return b;
}

// --- the readers, their seeds and the checks on what they return ---

function idxFile(type, dims, body) {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = type;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return new Uint8Array(Buffer.concat([head, Buffer.from(body)]));
}

function smallLatentModel() {
  const rng = new sshn.Rng(5);
  const r = (k) => Array.from({ length: k }, () => rng.normal() * 0.5);
  const n = 3;
  const whh = new Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) whh[i * n + j] = whh[j * n + i] = rng.normal() * 0.3;
  return new sshn.LatentHopfield({ encoder: { w1: r(8), b1: r(2), w2: r(6), b2: r(3) }, decoder: { w1: r(6), b1: r(2), w2: r(8), b2: r(4) }, wih: r(9), whh, inputDim: 4, hiddenDim: 2, latentDim: n });
}

const backends = sshn.availableBackends();

/** Runs fn in every backend; they must agree (to 1e-9) or fail alike. */
function sameInBackends(fn) {
  const outcomes = backends.map((backend) => {
    try {
      return { ok: true, value: fn(backend) };
    } catch (error) {
      if (!(error instanceof TypeError) && !(error instanceof RangeError)) throw error;
      return { ok: false, error: `${error.name}: ${error.message}` };
    }
  });
  if (outcomes.length === 2) {
    const [a, b] = outcomes;
    const close = a.ok && b.ok ? a.value.length === b.value.length && a.value.every((v, i) => Math.abs(v - b.value[i]) <= 1e-9 || (Number.isNaN(v) && Number.isNaN(b.value[i]))) : !a.ok && !b.ok && a.error === b.error;
    if (!close) throw new Error(`backends disagree: ${JSON.stringify(a).slice(0, 200)} vs ${JSON.stringify(b).slice(0, 200)}`);
  }
}

const product = (shape) => shape.reduce((a, b) => a * b, 1);

const WRITABLE = new Set(['F64', 'F32', 'I64', 'I32', 'U8']);

/**
 * A file that loaded has every name of its header (read here with JSON.parse, which keeps each key
 * own) and is written again and read back with all of them; a failure is a finding.
 */
function namesKept(bytes, file) {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + length)).toString('utf8'));
  const same = (a, b) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());
  const check = (what, tensors, metadata) => {
    if (!same(tensors, Object.keys(header).filter((k) => k !== '__metadata__'))) throw new Error(`${what}: tensor names ${JSON.stringify([...tensors])} of header keys ${JSON.stringify(Object.keys(header))}`);
    if (!same(Object.keys(metadata), Object.keys(header.__metadata__ ?? {}))) throw new Error(`${what}: metadata keys ${JSON.stringify(Object.keys(metadata))} of ${JSON.stringify(Object.keys(header.__metadata__ ?? {}))}`);
  };
  check('read', file.tensors.keys(), file.metadata);
  if (file.tensors.has('') || ![...file.tensors.values()].every((t) => WRITABLE.has(t.dtype))) return;
  let again;
  try {
    again = sshn.readSafetensors(sshn.writeSafetensors(Object.fromEntries(file.tensors), file.metadata));
  } catch (error) {
    throw new Error(`a file that loaded did not round-trip through writeSafetensors: ${error.message}`);
  }
  check('written and read again', again.tensors.keys(), again.metadata);
}

const readers = {
  safetensors: {
    errors: [sshn.SafetensorsError],
    seeds: () => [
      sshn.writeSafetensors({ w: { dtype: 'F32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] }, b: { dtype: 'I64', shape: [2], data: [1n, -2n] }, e: { dtype: 'U8', shape: [0], data: [] } }, { format: 'pt' }),
      sshn.writeSafetensors({ s: { dtype: 'F64', shape: [], data: [Math.PI] }, i: { dtype: 'I32', shape: [1, 1, 2], data: [-1, 7] } }),
      smallLatentModel().toSafetensors({ model: 'fuzz seed' }),
    ],
    readFile: (file) => sshn.readSafetensorsFile(file),
    mutate: (bytes, rng, others) => (rng.nextDouble() < 0.4 ? editHeader(bytes, rng) : mutateBytes(bytes, rng, others)),
    run: (bytes) => {
      const file = sshn.readSafetensors(bytes);
      for (const [name, t] of file.tensors) {
        if (t.data.length !== product(t.shape)) throw new Error(`tensor '${name}' has ${t.data.length} values for shape [${t.shape}]`);
      }
      namesKept(bytes, file);
      if (file.tensors.has('encoder.0.weight')) sameInBackends((backend) => Array.from(sshn.LatentHopfield.fromSafetensors(bytes, { backend }).encode([[0.5, -0.5, 0, 1]]).data));
      return 'ok';
    },
  },
  model: {
    errors: [sshn.ModelFileError],
    seeds: () => {
      const patterns = sshn.randomPatterns(3, 6, { seed: 1 });
      return [
        new sshn.BinaryHopfield(6).store(patterns).toBuffer(),
        new sshn.BinaryHopfield(6, { rule: 'storkey', thresholds: [0.1, 0, -0.2, 0, 0, 0.3] }).store(patterns).toBuffer(),
        new sshn.BinaryHopfield(5, { rule: 'pseudoinverse', zeroDiagonal: false }).store(sshn.randomPatterns(2, 5, { seed: 2 })).toBuffer(),
        sshn.BinaryHopfield.fromWeights([[0, 1, -2], [0.5, 0, 1], [1, 1, 0]]).toBuffer(),
        new sshn.BinaryHopfield(4).store(sshn.randomPatterns(130, 4, { seed: 3 })).toBuffer(), // int16 counts
      ];
    },
    readFile: (file) => sshn.BinaryHopfield.load(file),
    mutate: (bytes, rng, others) => {
      const r = rng.nextDouble();
      if (r < 0.3) return editModelContent(bytes, rng);
      const damaged = r < 0.6 ? editModelHeader(bytes, rng) : mutateBytes(bytes, rng, others);
      return rng.nextDouble() < 0.7 ? repairModelChecksums(damaged) : damaged;
    },
    run: (bytes) => {
      const net = sshn.BinaryHopfield.fromBuffer(bytes);
      const cue = Array.from({ length: net.n }, (_, i) => (i % 3 === 0 ? -1 : 1));
      if (net.n > 4096) return 'ok';
      sameInBackends((backend) => Array.from(sshn.BinaryHopfield.fromBuffer(bytes, { backend }).recall(cue, { mode: 'sync', maxSweeps: 20 }).state));
      // What loads is one network: finite energies, and both kinds of Hebbian fields recall alike.
      const r = net.recall(cue, { mode: 'sync', maxSweeps: 20 });
      if (!r.energies.every(Number.isFinite)) throw new Error(`a loaded model gives energies ${Array.from(r.energies)}`);
      if (net.rule === 'hebbian' && net.patternCount > 0) {
        const byMatrix = net.recall(cue, { mode: 'sync', maxSweeps: 20, fields: 'matrix' }).state.join();
        if (net.recall(cue, { mode: 'sync', maxSweeps: 20, fields: 'patterns' }).state.join() !== byMatrix) throw new Error("'matrix' and 'patterns' fields of a loaded model recall different states");
      }
      return 'ok';
    },
  },
  idx: {
    errors: [sshn.IdxError],
    seeds: () => [
      idxFile(0x08, [3, 2, 2], [...Array(12).keys()]),
      idxFile(0x09, [2], [0xff, 0x7f]),
      idxFile(0x0b, [1, 2], [0xff, 0xfe, 0, 1]),
      idxFile(0x0c, [1], [0x80, 0, 0, 0]),
      idxFile(0x0d, [2], [0x3f, 0xc0, 0, 0, 0x7f, 0x80, 0, 0]),
      idxFile(0x0e, [1], [0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18]),
      idxFile(0x08, [0, 5], []),
    ],
    readFile: (file) => sshn.readIdxFile(file),
    mutate: (bytes, rng, others) => (rng.nextDouble() < 0.4 ? editIdxHeader(bytes, rng) : mutateBytes(bytes, rng, others)),
    run: (bytes, rng) => {
      const limit = rng && rng.nextDouble() < 0.3 ? below(rng, 4) : undefined;
      const r = sshn.readIdx(bytes, limit);
      if (r.data.length !== product(r.shape)) throw new Error(`${r.data.length} values for shape [${r.shape}]`);
      return 'ok';
    },
  },
};

/** 'ok', or the error's class and message with numbers and quoted names blanked: the outcome classes, of which the corpus keeps one input each. */
function runOne(reader, bytes, rng) {
  const started = process.hrtime.bigint();
  let signature;
  let finding = null;
  try {
    signature = reader.run(bytes, rng);
  } catch (error) {
    const documented = error instanceof TypeError || error instanceof RangeError || reader.errors.some((C) => error instanceof C);
    const message = String(error && error.message).replace(/\.\.\.[\s\S]*?\.\.\./g, '…').replace(/'[^']*'|"[^"]*"/g, "'…'").replace(/-?\d+(\.\d+)?(e[+-]?\d+)?/g, '#');
    signature = `${error && error.name}: ${message.slice(0, 160)}`;
    if (!documented) finding = `undocumented ${error && error.name}: ${error && error.message}`;
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (!finding && ms > SLOW_MS) finding = `slow: ${ms.toFixed(0)} ms`;
  return { signature, finding };
}

/**
 * The file readers on paths that are not regular files (they must refuse at once: a FIFO used to
 * block and /dev/zero to be read without end), a procfs file (size 0, yet content), and a seed
 * file above a lowered size limit (a RangeError) and within the usual one (loads).
 */
function hostileFiles() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sshn-fuzz-files-'));
  const findings = [];
  let cases = 0;
  try {
    const fifo = path.join(dir, 'fifo');
    const special = [dir, '/dev/zero', '/proc/self/status'].filter((p) => fs.existsSync(p));
    if (spawnSync('mkfifo', [fifo]).status === 0) special.push(fifo);
    for (const [name, reader] of Object.entries(readers)) {
      const seed = path.join(dir, `${name}.seed`);
      fs.writeFileSync(seed, reader.seeds()[0]);
      const attempts = [...special.map((file) => ({ file, limit: null, loads: false })), { file: seed, limit: 4, loads: false }, { file: seed, limit: null, loads: true }];
      for (const { file, limit, loads } of attempts) {
        cases++;
        const saved = sshn.getLimits().maxBytes;
        if (limit) sshn.setLimits({ maxBytes: limit });
        const started = Date.now();
        let outcome = 'loaded';
        try {
          reader.readFile(file);
        } catch (error) {
          const documented = error instanceof TypeError || error instanceof RangeError || reader.errors.some((C) => error instanceof C);
          outcome = documented && error.message.includes(file) ? 'refused' : `${error && error.name}: ${error && error.message}`;
        } finally {
          sshn.setLimits({ maxBytes: saved });
        }
        const ms = Date.now() - started;
        if (outcome !== (loads ? 'loaded' : 'refused') || ms > SLOW_MS) findings.push(`${name} on ${file}${limit ? ` (limit ${limit} bytes)` : ''}: ${outcome} in ${ms} ms`);
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { cases, findings };
}

function readCorpus(name) {
  const dir = path.join(CORPUS, name);
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).sort().map((f) => new Uint8Array(fs.readFileSync(path.join(dir, f))));
}

const sha1 = (bytes) => crypto.createHash('sha1').update(bytes).digest('hex');

/** Fuzzes one reader; returns its statistics and findings. */
function fuzz(name, iterations, seed, merge) {
  const reader = readers[name];
  const rng = new sshn.Rng(seed);
  const seeds = reader.seeds().map((b) => new Uint8Array(b));
  const corpus = readCorpus(name);
  const pool = [...seeds, ...corpus];
  const seen = new Map();
  const findings = [];
  const consider = (bytes) => {
    const { signature, finding } = runOne(reader, bytes, rng);
    if (finding) findings.push({ finding, bytes });
    if (!seen.has(signature)) {
      seen.set(signature, bytes);
      pool.push(bytes);
    }
  };
  pool.slice().forEach(consider); // replay
  for (let i = 0; i < iterations; i++) {
    // Half from the valid seeds: most of the pool is broken, and checks of what loads need inputs that load.
    let bytes = rng.nextDouble() < 0.5 ? pick(rng, seeds) : pick(rng, pool);
    for (let m = 1 + below(rng, 3); m > 0; m--) bytes = reader.mutate(bytes, rng, pool);
    consider(bytes);
  }
  if (merge) {
    const dir = path.join(CORPUS, name);
    fs.mkdirSync(dir, { recursive: true });
    const existing = new Set(fs.readdirSync(dir));
    let room = MAX_CORPUS - existing.size;
    for (const bytes of seen.values()) {
      if (room <= 0) break;
      const file = sha1(bytes);
      if (existing.has(file) || bytes.length > 4096) continue;
      fs.writeFileSync(path.join(dir, file), bytes);
      room--;
    }
  }
  return { reader: name, inputs: iterations + seeds.length + corpus.length, outcomes: seen.size, corpus: corpus.length, findings };
}

function main() {
  const arg = (flag, fallback) => {
    const i = process.argv.indexOf(flag);
    return i >= 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const iterations = arg('--iterations', Number(process.env.FUZZ_ITERATIONS ?? 20000));
  const seed = arg('--seed', Number(process.env.FUZZ_SEED ?? 1));
  const merge = process.argv.includes('--merge');
  let failed = false;
  for (const name of Object.keys(readers)) {
    const started = Date.now();
    const report = fuzz(name, iterations, seed, merge);
    console.log(`${name}: ${report.inputs} inputs (${report.corpus} from the corpus), ${report.outcomes} distinct outcomes, ${report.findings.length} findings, ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (report.findings.length) {
      failed = true;
      fs.mkdirSync(FINDINGS, { recursive: true });
      for (const { finding, bytes } of report.findings.slice(0, 10)) {
        const file = path.join(FINDINGS, `${name}-${sha1(bytes)}`);
        fs.writeFileSync(file, bytes);
        console.log(`  ${finding} (input saved to ${path.relative(root, file)})`);
      }
    }
  }
  const files = hostileFiles();
  console.log(`files: ${files.cases} hostile cases, ${files.findings.length} findings`);
  for (const finding of files.findings) console.log(`  ${finding}`);
  process.exitCode = failed || files.findings.length ? 1 : 0;
}

module.exports = { readers, runOne, hostileFiles };
if (require.main === module) main();
