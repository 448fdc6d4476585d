// Reader of the safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian
// header length, a JSON header naming each tensor's dtype, shape and [begin, end) byte range in the
// data section, then the data. Everything is checked before any tensor is materialised, so a
// truncated or hostile file gives a SafetensorsError instead of a huge allocation or garbage values.
import { checkAllocation } from '../limits';
import { namingFile, readRegularFile } from './files';

/**
 * A safetensors file that cannot be read: truncated, malformed header, inconsistent offsets.
 *
 * @example
 * ```ts
 * try { readSafetensorsFile('model.safetensors'); } catch (e) { if (e instanceof SafetensorsError) console.error(e.message); }
 * ```
 */
export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SafetensorsError';
  }
}

/**
 * Element types of safetensors tensors.
 */
export type SafetensorsDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

const DTYPE_BYTES: Record<SafetensorsDtype, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

/** The typed array a tensor's dtype decodes to (BigInt64Array for I64). */
export type TensorData = Float64Array | Float32Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

/**
 * One tensor read from a safetensors file.
 */
export interface Tensor {
  /** The dtype stored in the file; F16 and BF16 are widened to Float32Array. */
  dtype: SafetensorsDtype;
  shape: number[];
  data: TensorData;
}

/**
 * A parsed safetensors file.
 */
export interface SafetensorsFile {
  tensors: Map<string, Tensor>;
  /** String metadata, on an object without prototype so that every key (`__proto__` too) is an own entry. */
  metadata: Record<string, string>;
}

/** An object without prototype: any name, `__proto__` and `constructor` included, is an own key, never a setter or an inherited value. */
function nameMap<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** The reference implementation's limit; a real header is a few kB. */
const MAX_HEADER_BYTES = 100_000_000;

/**
 * Parses a whole safetensors file held in memory.
 *
 * @example
 * ```ts
 * const { tensors, metadata } = readSafetensors(fs.readFileSync('model.safetensors'));
 * ```
 */
export function readSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`bytes must be a Buffer or Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
  if (bytes.length < 8) throw new SafetensorsError(`safetensors file is truncated: ${bytes.length} bytes, fewer than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength < 2n || headerLength > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(`safetensors header length ${headerLength} is outside [2, ${MAX_HEADER_BYTES}]: not a safetensors file, or a damaged one`);
  }
  const headerEnd = 8 + Number(headerLength);
  if (headerEnd > bytes.length) {
    throw new SafetensorsError(`safetensors file is truncated: header needs ${headerLength} bytes, only ${bytes.length - 8} present`);
  }
  const headerText = decodeHeader(bytes.subarray(8, headerEnd));
  const entries = parseHeader(headerText);
  const dataLength = bytes.length - headerEnd;

  const metadata = nameMap<string>();
  const layout: { name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, value] of entries) {
    if (name === '__metadata__') {
      if (!isPlainObject(value)) throw new SafetensorsError('safetensors __metadata__ must be an object of strings');
      for (const [key, text] of Object.entries(value)) {
        if (typeof text !== 'string') throw new SafetensorsError(`safetensors __metadata__.${key} must be a string`);
        metadata[key] = text;
      }
      continue;
    }
    layout.push({ name, ...checkEntry(name, value) });
  }

  // The byte ranges must tile the data section exactly: no gaps, overlaps or trailing bytes.
  const sorted = [...layout].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const t of sorted) {
    if (t.begin !== cursor) {
      throw new SafetensorsError(
        t.begin < cursor
          ? `safetensors tensor '${t.name}' overlaps the previous tensor (starts at ${t.begin}, previous ends at ${cursor})`
          : `safetensors data has a gap before tensor '${t.name}' (bytes ${cursor}..${t.begin} unused)`,
      );
    }
    if (t.end > dataLength) {
      throw new SafetensorsError(`safetensors file is truncated: tensor '${t.name}' ends at byte ${t.end} of a ${dataLength}-byte data section`);
    }
    cursor = t.end;
  }
  if (cursor !== dataLength) {
    throw new SafetensorsError(`safetensors data section has ${dataLength - cursor} bytes after the last tensor (file size does not match the header)`);
  }

  const tensors = new Map<string, Tensor>();
  for (const t of layout) {
    const raw = bytes.subarray(headerEnd + t.begin, headerEnd + t.end);
    tensors.set(t.name, { dtype: t.dtype, shape: t.shape, data: decodeData(t.dtype, raw) });
  }
  return { tensors, metadata };
}

/**
 * Reads and parses a safetensors file.
 *
 * @example
 * ```ts
 * const file = readSafetensorsFile('model.safetensors');
 * const w = file.tensors.get('latent.w_hh'); // { dtype: 'F32', shape: [128, 128], data: Float32Array }
 * ```
 */
export function readSafetensorsFile(path: string): SafetensorsFile {
  if (typeof path !== 'string') throw new TypeError(`path must be a string, got ${typeof path}`);
  return namingFile(path, SafetensorsError, () => readSafetensors(readRegularFile(path, SafetensorsError)));
}

function decodeHeader(bytes: Uint8Array): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new SafetensorsError('safetensors header is not valid UTF-8');
  }
  if (!text.startsWith('{')) throw new SafetensorsError("safetensors header must be a JSON object starting with '{'");
  return text;
}

/** JSON.parse silently keeps the last of duplicate keys, so the top-level keys are listed first. */
function parseHeader(text: string): [string, unknown][] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SafetensorsError(`safetensors header is not valid JSON: ${(error as Error).message}`);
  }
  if (!isPlainObject(parsed)) throw new SafetensorsError('safetensors header must be a JSON object');
  const seen = new Set<string>();
  for (const key of topLevelKeys(text)) {
    if (seen.has(key)) throw new SafetensorsError(`safetensors header names tensor '${key}' more than once`);
    seen.add(key);
  }
  return Object.entries(parsed);
}

/** The keys of the outermost object of already-valid JSON text, in order, duplicates included. */
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      if (depth === 1 && expectKey) keys.push(JSON.parse(text.slice(i, j + 1)) as string);
      expectKey = false;
      i = j;
    } else if (c === '{' || c === '[') {
      depth++;
      expectKey = c === '{' && depth === 1;
    } else if (c === '}' || c === ']') {
      depth--;
    } else if (c === ',' && depth === 1) {
      expectKey = true;
    }
  }
  return keys;
}

function checkEntry(name: string, value: unknown): { dtype: SafetensorsDtype; shape: number[]; begin: number; end: number } {
  if (!isPlainObject(value)) throw new SafetensorsError(`safetensors entry '${name}' must be an object`);
  const { dtype, shape, data_offsets: offsets } = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (typeof dtype !== 'string' || !Object.prototype.hasOwnProperty.call(DTYPE_BYTES, dtype)) {
    throw new SafetensorsError(`safetensors tensor '${name}' has unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(DTYPE_BYTES).join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new SafetensorsError(`safetensors tensor '${name}' must have a shape of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
    throw new SafetensorsError(`safetensors tensor '${name}' must have data_offsets [begin, end] with 0 <= begin <= end`);
  }
  let elements = 1;
  for (const d of shape as number[]) {
    elements *= d;
    if (!Number.isSafeInteger(elements)) throw new SafetensorsError(`safetensors tensor '${name}' has an impossibly large shape`);
  }
  const bytes = elements * DTYPE_BYTES[dtype as SafetensorsDtype];
  if (offsets[1] - offsets[0] !== bytes) {
    throw new SafetensorsError(
      `safetensors tensor '${name}' (${dtype} [${(shape as number[]).join(', ')}]) needs ${bytes} bytes but data_offsets span ${offsets[1] - offsets[0]}`,
    );
  }
  return { dtype: dtype as SafetensorsDtype, shape: [...(shape as number[])], begin: offsets[0], end: offsets[1] };
}

/** Copies into a fresh, aligned typed array (file offsets need not be aligned); little-endian. */
function decodeData(dtype: SafetensorsDtype, raw: Uint8Array): TensorData {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const n = raw.byteLength / DTYPE_BYTES[dtype];
  switch (dtype) {
    case 'F64': {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(8 * i, true);
      return out;
    }
    case 'F32': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
      return out;
    }
    case 'F16': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
      return out;
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32.
      const bits = new Uint32Array(n);
      for (let i = 0; i < n; i++) bits[i] = view.getUint16(2 * i, true) << 16;
      return new Float32Array(bits.buffer);
    }
    case 'I64': {
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getBigInt64(8 * i, true);
      return out;
    }
    case 'I32': {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt32(4 * i, true);
      return out;
    }
    case 'I16': {
      const out = new Int16Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getInt16(2 * i, true);
      return out;
    }
    case 'I8':
      return new Int8Array(new Uint8Array(raw).buffer);
    case 'U8':
    case 'BOOL':
      return new Uint8Array(raw);
  }
}

/** IEEE 754 binary16 to a number (exact). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A float tensor of exactly the expected shape as Float32Array, or a SafetensorsError naming it. */
export function requireFloatTensor(file: SafetensorsFile, name: string, shape: number[]): Float32Array {
  const tensor = file.tensors.get(name);
  if (!tensor) throw new SafetensorsError(`safetensors file has no tensor '${name}'`);
  if (tensor.shape.length !== shape.length || tensor.shape.some((d, i) => d !== shape[i])) {
    throw new SafetensorsError(`safetensors tensor '${name}' has shape [${tensor.shape.join(', ')}], expected [${shape.join(', ')}]`);
  }
  if (tensor.data instanceof Float32Array) return tensor.data;
  if (tensor.data instanceof Float64Array) return Float32Array.from(tensor.data);
  throw new SafetensorsError(`safetensors tensor '${name}' has dtype ${tensor.dtype}, expected a float type`);
}

const WRITABLE = ['F64', 'F32', 'I64', 'I32', 'U8'] as const;

/**
 * A tensor to write with {@link writeSafetensors}.
 */
export interface TensorInput {
  dtype: (typeof WRITABLE)[number];
  shape: number[];
  data: ArrayLike<number> | BigInt64Array;
}

const INTEGER_RANGES = { I64: [-(2n ** 63n), 2n ** 63n - 1n], I32: [-(2 ** 31), 2 ** 31 - 1], U8: [0, 255] } as const;

/** A value the dtype holds exactly (floats may round, but not overflow to Infinity), or a TypeError/RangeError naming it. */
function checkElement(dtype: TensorInput['dtype'], v: unknown, name: string): number | bigint {
  if (dtype === 'I64' && typeof v === 'bigint') {
    if (v < INTEGER_RANGES.I64[0] || v > INTEGER_RANGES.I64[1]) throw new RangeError(`${name} = ${v} does not fit in int64`);
    return v;
  }
  if (typeof v !== 'number') throw new TypeError(`${name} must be a number${dtype === 'I64' ? ' or a bigint' : ''}, got ${typeof v}`);
  if (dtype === 'F64') return v;
  if (dtype === 'F32') {
    if (Number.isFinite(v) && !Number.isFinite(Math.fround(v))) throw new RangeError(`${name} = ${v} overflows float32`);
    return v;
  }
  const [lo, hi] = dtype === 'I64' ? [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER] : INTEGER_RANGES[dtype];
  if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`${name} must be an integer in [${lo}, ${hi}] for ${dtype}, got ${v}`);
  return v;
}

/**
 * Serialises tensors (in name order) and string metadata to the safetensors format. The header is
 * padded with spaces to a multiple of 8 bytes so every tensor starts aligned.
 *
 * @example
 * ```ts
 * fs.writeFileSync('w.safetensors', writeSafetensors({ w: { dtype: 'F32', shape: [2, 2], data: Float32Array.of(1, 0, 0, 1) } }));
 * ```
 */
export function writeSafetensors(tensors: Record<string, TensorInput>, metadata: Record<string, string> = {}): Buffer {
  if (tensors === null || typeof tensors !== 'object') throw new TypeError('tensors must be an object of named tensors');
  if (metadata === null || typeof metadata !== 'object') throw new TypeError('metadata must be an object of strings');
  for (const [key, value] of Object.entries(metadata)) {
    if (typeof value !== 'string') throw new TypeError(`metadata.${key} must be a string`);
  }
  const names = Object.keys(tensors).sort();
  const header = nameMap<unknown>();
  if (Object.keys(metadata).length) header.__metadata__ = Object.assign(nameMap<string>(), metadata);
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const name of names) {
    if (name === '' || name === '__metadata__') throw new RangeError(`tensors['${name}']: that tensor name is not allowed`);
    const tensor = tensors[name];
    if (tensor === null || typeof tensor !== 'object') throw new TypeError(`tensors['${name}'] must be an object with dtype, shape and data`);
    const { dtype, shape, data } = tensor;
    if (!(WRITABLE as readonly string[]).includes(dtype)) {
      throw new RangeError(`tensors['${name}'].dtype must be one of F64, F32, I64, I32, U8, got ${String(dtype)}`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new RangeError(`tensors['${name}'].shape must be an array of non-negative integers`);
    }
    const elements = shape.reduce((a, b) => a * b, 1);
    if (data === null || typeof data !== 'object' || typeof data.length !== 'number') {
      throw new TypeError(`tensors['${name}'].data must be an array or typed array, got ${data === null ? 'null' : typeof data}`);
    }
    if (data.length !== elements) throw new RangeError(`tensors['${name}'] has ${data.length} values, its shape needs ${elements}`);
    // Before Buffer.alloc, whose own refusal ('size out of range') names nothing of the caller's.
    checkAllocation(`tensors['${name}'] (${dtype} [${shape.join(', ')}])`, elements, DTYPE_BYTES[dtype]);
    const bytes = Buffer.alloc(elements * DTYPE_BYTES[dtype]);
    for (let i = 0; i < elements; i++) {
      const v = checkElement(dtype, data[i], `tensors['${name}'].data[${i}]`);
      if (dtype === 'I64') bytes.writeBigInt64LE(BigInt(v), 8 * i);
      else if (dtype === 'F64') bytes.writeDoubleLE(v as number, 8 * i);
      else if (dtype === 'F32') bytes.writeFloatLE(v as number, 4 * i);
      else if (dtype === 'I32') bytes.writeInt32LE(v as number, 4 * i);
      else bytes.writeUInt8(v as number, i);
    }
    header[name] = { dtype, shape: [...shape], data_offsets: [offset, offset + bytes.length] };
    offset += bytes.length;
    chunks.push(bytes);
  }
  let text = JSON.stringify(header);
  text += ' '.repeat((8 - (Buffer.byteLength(text) % 8)) % 8);
  const headerBytes = Buffer.from(text, 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(headerBytes.length));
  return Buffer.concat([length, headerBytes, ...chunks]);
}
