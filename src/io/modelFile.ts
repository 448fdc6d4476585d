// The binary model file of BinaryHopfield: a fixed 64-byte little-endian header with its own CRC-32,
// then the payload (patterns, thresholds, weights, optional transpose) with another CRC-32.
// Files are written atomically by writeFileAtomic (./files). After the checksums, the contents must
// make one consistent network (./modelInvariants), else a RangeError names the file and the field.
import * as os from 'node:os';
import type { WeightArray } from '../kernels';
import { readRegularFile } from './files';
import { checkModelInvariants } from './modelInvariants';

const MAGIC = 'SSHNBHOP';
const VERSION = 1;
const HEADER_BYTES = 64;
const RULES = ['hebbian', 'storkey', 'pseudoinverse', 'custom'] as const;
const WEIGHT_TYPES = [Int8Array, Int16Array, Int32Array, Float64Array] as const;

export interface ModelSnapshot {
  n: number;
  rule: (typeof RULES)[number];
  zeroDiagonal: boolean;
  patterns: Int8Array;
  rank: number;
  scale: number;
  thresholds: Float64Array | null;
  weights: WeightArray;
  weightsT: WeightArray | null;
}

/**
 * A model file that cannot be read: wrong magic, unsupported version, truncated or corrupted.
 *
 * @example
 * ```ts
 * try { BinaryHopfield.load('model.sshn'); } catch (e) { if (e instanceof ModelFileError) console.error(e.message); }
 * ```
 */
export class ModelFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelFileError';
  }
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[i] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3), as used by zip and PNG. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function bytesOf(array: ArrayBufferView): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

function requireLittleEndian(): void {
  if (os.endianness() !== 'LE') throw new ModelFileError('model files are little-endian; this host is big-endian');
}

export function encodeModel(model: ModelSnapshot): Buffer {
  requireLittleEndian();
  const typeCode = WEIGHT_TYPES.findIndex((T) => model.weights instanceof T);
  const parts: Uint8Array[] = [bytesOf(model.patterns)];
  if (model.thresholds) parts.push(bytesOf(model.thresholds));
  parts.push(bytesOf(model.weights));
  if (model.weightsT) parts.push(bytesOf(model.weightsT));
  const payload = Buffer.concat(parts);
  const header = Buffer.alloc(HEADER_BYTES);
  header.write(MAGIC, 0, 'latin1');
  header.writeUInt32LE(VERSION, 8);
  header.writeUInt32LE(model.n, 12);
  header.writeUInt32LE(model.patterns.length / model.n, 16);
  header.writeUInt8(RULES.indexOf(model.rule), 20);
  header.writeUInt8(typeCode, 21);
  header.writeUInt8((model.zeroDiagonal ? 1 : 0) | (model.thresholds ? 2 : 0) | (model.weightsT ? 4 : 0), 22);
  header.writeDoubleLE(model.scale, 24);
  header.writeUInt32LE(model.rank, 32);
  header.writeDoubleLE(payload.length, 36);
  header.writeUInt32LE(crc32(payload), 44);
  header.writeUInt32LE(crc32(header.subarray(0, 60)), 60);
  return Buffer.concat([header, payload]);
}

function copyAs<T extends WeightArray | Float64Array | Int8Array>(Type: { new (n: number): T; BYTES_PER_ELEMENT: number }, bytes: Uint8Array, count: number): T {
  const out = new Type(count);
  bytesOf(out).set(bytes.subarray(0, count * Type.BYTES_PER_ELEMENT));
  return out;
}

export function decodeModel(buffer: Uint8Array, source = 'buffer'): ModelSnapshot {
  requireLittleEndian();
  if (!(buffer instanceof Uint8Array)) throw new TypeError('buffer must be a Buffer or Uint8Array');
  const fail = (why: string): never => {
    throw new ModelFileError(`cannot read model from ${source}: ${why}`);
  };
  if (buffer.length < HEADER_BYTES) fail(`truncated (${buffer.length} bytes, the header alone is ${HEADER_BYTES})`);
  const b = Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  if (b.toString('latin1', 0, 8) !== MAGIC) fail('not an sshn binary Hopfield model (bad magic)');
  const version = b.readUInt32LE(8);
  if (version !== VERSION) fail(`unsupported format version ${version} (this library reads version ${VERSION})`);
  if (crc32(b.subarray(0, 60)) !== b.readUInt32LE(60)) fail('header checksum mismatch (corrupted)');
  const n = b.readUInt32LE(12);
  const p = b.readUInt32LE(16);
  const rule = RULES[b.readUInt8(20)];
  const WeightType = WEIGHT_TYPES[b.readUInt8(21)];
  const flags = b.readUInt8(22);
  const scale = b.readDoubleLE(24);
  const rank = b.readUInt32LE(32);
  const payloadLength = b.readDoubleLE(36);
  if (n < 1 || rule === undefined || WeightType === undefined || flags > 7 || !Number.isFinite(scale)) fail('invalid header fields');
  const cells = n * n;
  const expected = p * n + (flags & 2 ? n * 8 : 0) + cells * WeightType.BYTES_PER_ELEMENT * (flags & 4 ? 2 : 1);
  if (payloadLength !== expected) fail(`inconsistent header (payload ${payloadLength} bytes, the sizes imply ${expected})`);
  if (b.length < HEADER_BYTES + expected) fail(`truncated (${b.length} bytes, expected ${HEADER_BYTES + expected})`);
  if (b.length > HEADER_BYTES + expected) fail(`trailing data (${b.length} bytes, expected ${HEADER_BYTES + expected})`);
  const payload = b.subarray(HEADER_BYTES);
  if (crc32(payload) !== b.readUInt32LE(44)) fail('payload checksum mismatch (corrupted)');
  let offset = 0;
  const take = (bytes: number) => payload.subarray(offset, (offset += bytes));
  const patterns = copyAs(Int8Array, take(p * n), p * n);
  for (let i = 0; i < patterns.length; i++) if (patterns[i] !== 1 && patterns[i] !== -1) fail('stored patterns contain values other than +-1');
  const thresholds = flags & 2 ? copyAs(Float64Array, take(n * 8), n) : null;
  const weights = copyAs(WeightType as unknown as { new (n: number): WeightArray; BYTES_PER_ELEMENT: number }, take(cells * WeightType.BYTES_PER_ELEMENT), cells);
  const weightsT = flags & 4 ? copyAs(WeightType as unknown as { new (n: number): WeightArray; BYTES_PER_ELEMENT: number }, take(cells * WeightType.BYTES_PER_ELEMENT), cells) : null;
  const model: ModelSnapshot = { n, rule, zeroDiagonal: (flags & 1) !== 0, patterns, rank, scale, thresholds, weights, weightsT };
  checkModelInvariants(model, (field, why) => {
    throw new RangeError(`cannot read model from ${source}: ${field} ${why}`);
  });
  return model;
}

export function readModelFile(path: string): Buffer {
  return readRegularFile(path, ModelFileError);
}
