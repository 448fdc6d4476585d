// The safetensors reader: files built byte by byte here decode to the values put in; every kind of
// malformed header or data section is a SafetensorsError naming the problem.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readSafetensors, readSafetensorsFile, SafetensorsError, writeSafetensors } from '../src/index';
import { fixturePath } from './lshn-fixture';

/** A file from a header object (serialised as given) and a data section. */
function build(header: unknown, data: Uint8Array, rawHeader?: string): Buffer {
  const text = Buffer.from(rawHeader ?? JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(text.length));
  return Buffer.concat([length, text, data]);
}

function f32(values: number[]): Uint8Array {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeFloatLE(v, 4 * i));
  return b;
}

t.test('decodes F32, F64, I32, I64, F16, BF16, U8 and metadata', async (t) => {
  const parts: Buffer[] = [];
  const f64 = Buffer.alloc(16);
  f64.writeDoubleLE(Math.PI, 0);
  f64.writeDoubleLE(-1e300, 8);
  const i32 = Buffer.alloc(8);
  i32.writeInt32LE(-7, 0);
  i32.writeInt32LE(2147483647, 4);
  const i64 = Buffer.alloc(8);
  i64.writeBigInt64LE(-(2n ** 62n));
  // binary16: 0x3c00 = 1, 0xc000 = -2, 0x7bff = 65504 (largest), 0x0001 = 2^-24 (smallest subnormal)
  const f16 = Buffer.from([0x00, 0x3c, 0x00, 0xc0, 0xff, 0x7b, 0x01, 0x00]);
  // bfloat16: 0x3f80 = 1, 0x4049 = 3.140625
  const bf16 = Buffer.from([0x80, 0x3f, 0x49, 0x40]);
  parts.push(Buffer.from(f32([1.5, -2.25, 3, 0.1, 5, 6])), f64, i32, i64, f16, bf16, Buffer.from([0, 255]));
  const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
  const dtypes = ['F32', 'F64', 'I32', 'I64', 'F16', 'BF16', 'U8'];
  const shapes = [[2, 3], [2], [2], [1], [4], [2], [2]];
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  let offset = 0;
  parts.forEach((p, k) => {
    header[names[k]] = { dtype: dtypes[k], shape: shapes[k], data_offsets: [offset, offset + p.length] };
    offset += p.length;
  });
  // An odd-length header puts every tensor at an unaligned address.
  const file = readSafetensors(build(header, Buffer.concat(parts), JSON.stringify(header) + ' '));
  t.same(file.metadata, { format: 'pt' });
  t.same(file.tensors.get('a')!.shape, [2, 3]);
  t.same(Array.from(file.tensors.get('a')!.data as Float32Array), [1.5, -2.25, 3, Math.fround(0.1), 5, 6]);
  t.same(Array.from(file.tensors.get('b')!.data as Float64Array), [Math.PI, -1e300]);
  t.same(Array.from(file.tensors.get('c')!.data as Int32Array), [-7, 2147483647]);
  t.same(Array.from(file.tensors.get('d')!.data as BigInt64Array), [-(2n ** 62n)]);
  t.same(Array.from(file.tensors.get('e')!.data as Float32Array), [1, -2, 65504, 2 ** -24]);
  t.same(Array.from(file.tensors.get('f')!.data as Float32Array), [1, 3.140625]);
  t.same(Array.from(file.tensors.get('g')!.data as Uint8Array), [0, 255]);
});

t.test('zero-size tensors and an empty file body are valid', async (t) => {
  const file = readSafetensors(build({ empty: { dtype: 'F32', shape: [0, 4], data_offsets: [0, 0] } }, new Uint8Array(0)));
  t.equal(file.tensors.get('empty')!.data.length, 0);
});

t.test('malformed files are SafetensorsErrors with a clear message', async (t) => {
  const good = { x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  const data = f32([1, 2]);
  const ok = build(good, data);
  const cases: [string, Uint8Array, RegExp][] = [
    ['shorter than 8 bytes', ok.subarray(0, 5), /truncated/],
    ['header cut short', ok.subarray(0, 20), /truncated: header/],
    ['data cut short', ok.subarray(0, ok.length - 1), /truncated|gap|tensor 'x'/],
    ['trailing bytes', Buffer.concat([ok, Buffer.from([0])]), /after the last tensor/],
    ['huge header length', (() => { const b = Buffer.from(ok); b.writeBigUInt64LE(2n ** 60n); return b; })(), /header length/],
    ['not JSON', build(null, data, '{"x": '), /not valid JSON/],
    ['JSON array', build([1, 2], data), /JSON object/],
    ['bad UTF-8', build(null, data, '{"\xff"}').fill(0xff, 9, 10), /UTF-8/],
    ['unknown dtype', build({ x: { dtype: 'F8', shape: [2], data_offsets: [0, 8] } }, data), /unsupported dtype/],
    ['negative dimension', build({ x: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, data), /shape/],
    ['fractional dimension', build({ x: { dtype: 'F32', shape: [1.5], data_offsets: [0, 8] } }, data), /shape/],
    ['size mismatch', build({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, data), /needs 12 bytes/],
    ['reversed offsets', build({ x: { dtype: 'F32', shape: [0], data_offsets: [8, 0] } }, data), /data_offsets/],
    ['missing offsets', build({ x: { dtype: 'F32', shape: [2] } }, data), /data_offsets/],
    ['offset past the end', build({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, y: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, data), /truncated/],
    ['overlap', build({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, y: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, data), /overlaps/],
    ['gap', build({ x: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, data), /gap/],
    ['duplicate name', build(null, data, '{"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}'), /more than once/],
    ['metadata not strings', build({ __metadata__: { a: 1 }, ...good }, data), /__metadata__/],
    ['astronomical shape', build({ x: { dtype: 'F64', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 8] } }, data), /impossibly large|needs/],
  ];
  for (const [what, bytes, message] of cases) {
    t.throws(() => readSafetensors(bytes), { name: 'SafetensorsError', message }, what);
  }
  t.throws(() => readSafetensors('nope' as unknown as Uint8Array), TypeError);
  t.ok(readSafetensors(ok).tensors.has('x'), 'the unmodified file reads');
});

t.test('duplicate detection is not fooled by keys nested in values or escaped quotes', async (t) => {
  const header = '{"a\\"b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "x": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}, "__metadata__": {"x": "a\\"b"}}';
  const file = readSafetensors(build(null, f32([1, 2]), header));
  t.same([...file.tensors.keys()].sort(), ['a"b', 'x']);
});

t.test('the LSHN fixture reads with the documented tensors', async (t) => {
  const file = readSafetensorsFile(fixturePath());
  const shapes = Object.fromEntries([...file.tensors].map(([k, v]) => [k, [v.dtype, ...v.shape]]));
  t.same(shapes, {
    'latent.w_ih': ['F32', 128, 128],
    'latent.w_hh': ['F32', 128, 128],
    'encoder.0.weight': ['F32', 316, 784],
    'encoder.0.bias': ['F32', 316],
    'encoder.1.weight': ['F32', 128, 316],
    'encoder.1.bias': ['F32', 128],
    'decoder.0.weight': ['F32', 316, 128],
    'decoder.0.bias': ['F32', 316],
    'decoder.1.weight': ['F32', 784, 316],
    'decoder.1.bias': ['F32', 784],
  });
  t.equal(file.metadata.license, 'Apache-2.0');
  // Every truncation of the real file is refused.
  const bytes = fs.readFileSync(fixturePath());
  let accepted = 0;
  for (const cut of [1, 7, 8, 100, 1000, bytes.length / 2, bytes.length - 4, bytes.length - 1]) {
    try {
      readSafetensors(bytes.subarray(0, Math.floor(cut)));
      accepted++;
    } catch (error) {
      if (!(error instanceof SafetensorsError)) throw error;
    }
  }
  t.equal(accepted, 0, 'no truncated copy is accepted');
  t.throws(() => readSafetensorsFile(path.join(t.testdirName, 'missing.safetensors')), /ENOENT/);
});

t.test('writeSafetensors round-trips through the reader, aligned, with clear errors', async (t) => {
  const bytes = writeSafetensors(
    {
      b: { dtype: 'F64', shape: [2], data: [Math.E, -0] },
      a: { dtype: 'F32', shape: [1, 3], data: [0.1, 2, -3] },
      c: { dtype: 'I64', shape: [1], data: new BigInt64Array([-5n]) },
      d: { dtype: 'I32', shape: [2], data: [7, -8] },
      e: { dtype: 'U8', shape: [0], data: [] },
    },
    { note: 'x' },
  );
  t.equal(Number(bytes.readBigUInt64LE(0)) % 8, 0, 'header padded to 8 bytes');
  const back = readSafetensors(bytes);
  t.same(back.metadata, { note: 'x' });
  t.same(Array.from(back.tensors.get('a')!.data as Float32Array), [Math.fround(0.1), 2, -3]);
  t.same(back.tensors.get('a')!.shape, [1, 3]);
  t.same(Array.from(back.tensors.get('b')!.data as Float64Array), [Math.E, -0]);
  t.same(Array.from(back.tensors.get('c')!.data as BigInt64Array), [-5n]);
  t.same(Array.from(back.tensors.get('d')!.data as Int32Array), [7, -8]);
  t.equal(back.tensors.get('e')!.data.length, 0);
  t.throws(() => writeSafetensors({ a: { dtype: 'F32', shape: [2], data: [1] } }), /needs 2/);
  t.throws(() => writeSafetensors({ a: { dtype: 'F16' as never, shape: [1], data: [1] } }), /dtype/);
  t.throws(() => writeSafetensors({ __metadata__: { dtype: 'F32', shape: [1], data: [1] } }), /not allowed/);
  t.throws(() => writeSafetensors({}, { a: 1 as never }), /string/);
});

t.test('every tensor name and metadata key round-trips, __proto__ and Object.prototype names included', async (t) => {
  const special = ['__proto__', 'constructor', 'hasOwnProperty', 'toString', 'valueOf', '__defineGetter__', 'prototype'];
  // Built with JSON.parse so that __proto__ is an own key, as a user's file would have it.
  const entries = special.map((name, k) => `${JSON.stringify(name)}: { "dtype": "I32", "shape": [1], "data": [${k}] }`);
  const tensors = JSON.parse(`{ ${entries.join(', ')} }`);
  const metadata = JSON.parse(`{ ${special.map((name) => `${JSON.stringify(name)}: "${name}!"`).join(', ')} }`);
  t.same(Object.keys(tensors), special, 'the input has every name as an own key');
  const back = readSafetensors(writeSafetensors(tensors, metadata));
  t.same([...back.tensors.keys()].sort(), [...special].sort());
  special.forEach((name, k) => t.same(Array.from(back.tensors.get(name)!.data as Int32Array), [k], `tensor ${name}`));
  t.same(Object.keys(back.metadata).sort(), [...special].sort(), 'no metadata key is lost');
  for (const name of special) t.equal(Object.getOwnPropertyDescriptor(back.metadata, name)?.value, `${name}!`, `metadata ${name}`);
  t.equal(Object.getPrototypeOf(back.metadata), null, 'metadata keys cannot reach Object.prototype');

  // A file from elsewhere with a __proto__ metadata key and tensor: nothing is dropped.
  const foreign = build(JSON.parse('{"__metadata__": {"__proto__": "kept"}, "__proto__": {"dtype": "U8", "shape": [2], "data_offsets": [0, 2]}}'), Uint8Array.of(4, 5));
  const read = readSafetensors(foreign);
  t.same(Object.entries(read.metadata), [['__proto__', 'kept']]);
  t.same(Array.from(read.tensors.get('__proto__')!.data as Uint8Array), [4, 5]);
});
