// Reader of the IDX format used by the MNIST files: two zero bytes, a type code, the number of
// dimensions, then one big-endian uint32 per dimension and the data in row-major order.
// Headers are validated against the file size; reads can stop after the first `limit` items so the
// 47 MB training set need not be loaded to use 100 images.
import * as fs from 'node:fs';
import { checkAllocation } from '../limits';
import { namingFile, openRegularFile, readFully } from './files';

/**
 * An IDX file that cannot be read: bad magic, unknown type, truncated.
 *
 * @example
 * ```ts
 * try { readIdxFile('images.idx'); } catch (e) { if (e instanceof IdxError) console.error(e.message); }
 * ```
 */
export class IdxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdxError';
  }
}

/** The typed array an IDX file's element type decodes to. */
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/**
 * An IDX array: its dimensions and its data.
 */
export interface IdxArray {
  /** Dimensions as read; the first is reduced to the number of items returned. */
  shape: number[];
  data: IdxData;
}

const TYPES: Record<number, { bytes: number; name: string }> = {
  0x08: { bytes: 1, name: 'uint8' },
  0x09: { bytes: 1, name: 'int8' },
  0x0b: { bytes: 2, name: 'int16' },
  0x0c: { bytes: 4, name: 'int32' },
  0x0d: { bytes: 4, name: 'float32' },
  0x0e: { bytes: 8, name: 'float64' },
};

interface IdxHeader {
  type: number;
  dims: number[];
  headerBytes: number;
}

function parseHeader(bytes: Uint8Array, fileBytes: number): IdxHeader {
  if (bytes.length < 4) throw new IdxError(`IDX file is truncated: ${fileBytes} bytes, fewer than the 4-byte magic number`);
  if (bytes[0] !== 0 || bytes[1] !== 0) throw new IdxError('IDX magic number must start with two zero bytes');
  const type = bytes[2];
  if (!TYPES[type]) throw new IdxError(`IDX type code 0x${type.toString(16)} is not one of ${Object.keys(TYPES).map((t) => '0x' + Number(t).toString(16)).join(', ')}`);
  const rank = bytes[3];
  if (rank < 1) throw new IdxError('IDX file must have at least one dimension');
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) throw new IdxError(`IDX file is truncated inside its header (${rank} dimensions need ${headerBytes} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, headerBytes);
  const dims: number[] = [];
  for (let d = 0; d < rank; d++) dims.push(view.getUint32(4 + 4 * d, false));
  let total = TYPES[type].bytes;
  for (const d of dims) total *= d;
  if (!Number.isSafeInteger(total)) throw new IdxError(`IDX dimensions [${dims.join(', ')}] are impossibly large`);
  if (headerBytes + total !== fileBytes) {
    throw new IdxError(`IDX file size ${fileBytes} does not match its header: [${dims.join(', ')}] ${TYPES[type].name} needs ${headerBytes + total} bytes`);
  }
  return { type, dims, headerBytes };
}

function decode(type: number, raw: Uint8Array): IdxData {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const n = raw.byteLength / TYPES[type].bytes;
  switch (type) {
    case 0x08:
      return new Uint8Array(raw);
    case 0x09:
      return new Int8Array(new Uint8Array(raw).buffer);
    case 0x0b:
      return Int16Array.from({ length: n }, (_, i) => view.getInt16(2 * i, false));
    case 0x0c:
      return Int32Array.from({ length: n }, (_, i) => view.getInt32(4 * i, false));
    case 0x0d:
      return Float32Array.from({ length: n }, (_, i) => view.getFloat32(4 * i, false));
    default:
      return Float64Array.from({ length: n }, (_, i) => view.getFloat64(8 * i, false));
  }
}

function itemCount(dims: number[], limit: number | undefined): number {
  if (limit === undefined) return dims[0];
  if (!Number.isInteger(limit) || limit < 0) throw new RangeError(`limit must be a non-negative integer, got ${limit}`);
  return Math.min(limit, dims[0]);
}

/**
 * Parses a whole IDX file in memory; `limit` keeps only the first items along the first dimension.
 *
 * @example
 * ```ts
 * const { shape, data } = readIdx(fs.readFileSync('train-images-idx3-ubyte'), 100); // shape [100, 28, 28]
 * ```
 */
export function readIdx(bytes: Uint8Array, limit?: number): IdxArray {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`bytes must be a Buffer or Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
  const header = parseHeader(bytes, bytes.length);
  const items = itemCount(header.dims, limit);
  const itemBytes = (bytes.length - header.headerBytes) / Math.max(header.dims[0], 1);
  const raw = bytes.subarray(header.headerBytes, header.headerBytes + items * itemBytes);
  return { shape: [items, ...header.dims.slice(1)], data: decode(header.type, raw) };
}

/**
 * Reads an IDX file from disk, only as far as the first `limit` items.
 *
 * @example
 * ```ts
 * const labels = readIdxFile('train-labels-idx1-ubyte', 100).data; // Uint8Array(100)
 * ```
 */
export function readIdxFile(path: string, limit?: number): IdxArray {
  const { fd, size: fileBytes } = openRegularFile(path, IdxError);
  try {
    return namingFile(path, IdxError, () => {
      const head = Buffer.alloc(Math.min(fileBytes, 4 + 4 * 255));
      readFully(fd, head, 0, path, IdxError);
      const rank = head.length >= 4 ? head[3] : 0;
      const header = parseHeader(head.subarray(0, Math.min(head.length, 4 + 4 * rank)), fileBytes);
      const items = itemCount(header.dims, limit);
      const itemBytes = header.dims[0] === 0 ? 0 : (fileBytes - header.headerBytes) / header.dims[0];
      // Only what is read counts against the limit: the first items of a huge file are fine.
      checkAllocation(`reading ${items} items of ${path}`, items * itemBytes, 1);
      const raw = Buffer.alloc(items * itemBytes);
      readFully(fd, raw, header.headerBytes, path, IdxError);
      return { shape: [items, ...header.dims.slice(1)], data: decode(header.type, raw) };
    });
  } finally {
    fs.closeSync(fd);
  }
}
