// Every reader of files (BinaryHopfield.load, readSafetensorsFile, LatentHopfield.fromSafetensors,
// readIdxFile) takes regular files only and reads at most getLimits().maxBytes: /dev/zero, a FIFO
// or a directory is the reader's error naming the file, at once (not an endless read or a wait
// for a writer), and a larger file is a RangeError naming it.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BinaryHopfield, getLimits, IdxError, LatentHopfield, randomPatterns, readIdxFile, readSafetensorsFile, SafetensorsError, setLimits, writeSafetensors } from '../src/index';
import { randomLatentWeights } from './helpers';

const lib = path.join(__dirname, '..', 'lib');

// The readers run in a child process with a deadline: before the fix /dev/zero was read for
// minutes and opening a FIFO blocked for ever.
const READERS: Record<string, { call: string; error: string }> = {
  load: { call: 'sshn.BinaryHopfield.load(file)', error: 'ModelFileError' },
  safetensors: { call: 'sshn.readSafetensorsFile(file)', error: 'SafetensorsError' },
  lshn: { call: 'sshn.LatentHopfield.fromSafetensors(file)', error: 'SafetensorsError' },
  idx: { call: 'sshn.readIdxFile(file, 1)', error: 'IdxError' },
};

/** Each reader's error on `file`, or null when the child did not finish in time. */
function outcomesInChild(file: string): Record<string, { name: string; message: string; ms: number }> | null {
  const calls = Object.entries(READERS).map(([reader, { call }]) => `${JSON.stringify(reader)}: () => ${call}`);
  const script = `const sshn = require(${JSON.stringify(lib)}); const file = process.argv[1]; const out = {};
    for (const [reader, call] of Object.entries({ ${calls.join(', ')} })) {
      const started = Date.now();
      try { call(); out[reader] = { name: 'none', message: '' }; } catch (e) { out[reader] = { name: e.name, message: e.message }; }
      out[reader].ms = Date.now() - started;
    }
    console.log(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ['-e', script, file], { encoding: 'utf8', timeout: 15_000, killSignal: 'SIGKILL' });
  if (r.error || r.signal) return null;
  return JSON.parse(r.stdout.trim().split('\n').pop() as string);
}

t.test('non-regular files are refused at once, naming the file', async (t) => {
  const dir = t.testdir();
  const fifo = path.join(dir, 'pipe');
  const made = spawnSync('mkfifo', [fifo]);
  const paths = [dir, ...(fs.existsSync('/dev/zero') ? ['/dev/zero'] : []), ...(made.status === 0 ? [fifo] : [])];
  t.ok(paths.length === 3 || process.platform === 'win32', `cases: ${paths.join(', ')}`);
  for (const file of paths) {
    const outcomes = outcomesInChild(file);
    if (!outcomes) {
      t.fail(`the readers did not all return within 15 s on ${file}`);
      continue;
    }
    for (const [reader, { error }] of Object.entries(READERS)) {
      const o = outcomes[reader];
      t.equal(o.name, error, `${reader}(${file}): ${o.message}`);
      t.match(o.message, `cannot read ${file}: it is a`, `${reader}(${file}) names the file and its kind`);
      t.match(o.message, /not a regular file$/);
      t.ok(o.ms < 1000, `${reader}(${file}) returned in ${o.ms} ms`);
    }
  }
});

t.test('files above getLimits().maxBytes are RangeErrors naming the file; IDX counts only the items read', async (t) => {
  const dir = t.testdir();
  const model = path.join(dir, 'model.sshn');
  new BinaryHopfield(30).store(randomPatterns(3, 30, { seed: 1 })).save(model);
  const tensors = path.join(dir, 'w.safetensors');
  fs.writeFileSync(tensors, writeSafetensors({ w: { dtype: 'F64', shape: [200], data: new Float64Array(200) } }));
  const lshn = path.join(dir, 'lshn.safetensors');
  new LatentHopfield(randomLatentWeights(6, 5, 4, 1)).save(lshn);
  const images = path.join(dir, 'images.idx');
  const head = Buffer.from([0, 0, 0x08, 2, 0, 0, 0, 100, 0, 0, 0, 20]);
  fs.writeFileSync(images, Buffer.concat([head, Buffer.alloc(2000, 7)]));
  const saved = getLimits().maxBytes;
  setLimits({ maxBytes: 1000 });
  try {
    for (const file of [model, tensors, lshn]) t.ok(fs.statSync(file).size > 1000, `${path.basename(file)} is ${fs.statSync(file).size} bytes`);
    const refused = { name: 'RangeError', message: /^reading .* would need .*, above the limit of 1000 bytes \(see setLimits\)$/ };
    t.throws(() => BinaryHopfield.load(model), { ...refused, message: new RegExp(`reading ${model} would need`) });
    t.throws(() => readSafetensorsFile(tensors), { ...refused, message: new RegExp(`reading ${tensors} would need`) });
    t.throws(() => LatentHopfield.fromSafetensors(lshn), { ...refused, message: new RegExp(`reading ${lshn} would need`) });
    t.throws(() => readIdxFile(images), { ...refused, message: new RegExp(`reading 100 items of ${images} would need 2.0 KiB`) });
    const first = readIdxFile(images, 50);
    t.same(first.shape, [50, 20], '50 items of 20 bytes are within the limit');
    t.ok(first.data.every((v) => v === 7));
  } finally {
    setLimits({ maxBytes: saved });
  }
  t.equal(BinaryHopfield.load(model).patternCount, 3, 'the same files load under the default limit');
  t.equal(readSafetensorsFile(tensors).tensors.get('w')!.data.length, 200);
});

t.test('a regular file whose size changes while read is an error, not a partial read', { skip: process.platform !== 'linux' && 'procfs is Linux only' }, async (t) => {
  // procfs files report size 0 and have content: the read finds more than fstat promised.
  t.throws(() => BinaryHopfield.load('/proc/self/status'), { name: 'ModelFileError', message: 'cannot read /proc/self/status: it grew while read' });
  t.throws(() => readSafetensorsFile('/proc/self/status'), SafetensorsError);
  t.throws(() => readIdxFile('/proc/self/status'), IdxError);
  t.throws(() => BinaryHopfield.load(42 as never), { name: 'TypeError', message: /path must be a non-empty string/ });
  t.throws(() => readIdxFile('' as never), TypeError);
});

t.test('errors of parsing a file name the file too', async (t) => {
  const dir = t.testdir();
  const idx = path.join(dir, 'short.idx');
  fs.writeFileSync(idx, Buffer.from([0, 0, 0x08, 1, 0, 0, 0, 9, 1, 2]));
  t.throws(() => readIdxFile(idx), { name: 'IdxError', message: `cannot read ${idx}: IDX file size 10 does not match its header: [9] uint8 needs 17 bytes` });
  const tensors = path.join(dir, 'short.safetensors');
  fs.writeFileSync(tensors, Buffer.from([2, 0, 0, 0, 0, 0, 0, 0, 0x7b]));
  t.throws(() => readSafetensorsFile(tensors), { name: 'SafetensorsError', message: `cannot read ${tensors}: safetensors file is truncated: header needs 2 bytes, only 1 present` });
  t.throws(() => LatentHopfield.fromSafetensors(tensors), { name: 'SafetensorsError', message: `cannot read ${tensors}: safetensors file is truncated` });
  const model = path.join(dir, 'short.sshn');
  fs.writeFileSync(model, Buffer.from('SSHNBHOP'));
  t.throws(() => BinaryHopfield.load(model), { name: 'ModelFileError', message: `cannot read model from ${model}: truncated (8 bytes, the header alone is 64)` });
});
