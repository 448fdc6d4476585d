// Save/load: round trips are exact; truncated, corrupted or foreign files are clear errors;
// saving is atomic (complete temporary file + rename; a failed rename changes nothing), also when
// threads save to one path at once.
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { BinaryHopfield, ModelFileError, randomPatterns, Rng } from '../src/index';
import { writeFileAtomic } from '../src/io/files';
import { backendsUnderTest } from './helpers';

for (const backend of backendsUnderTest()) {
  t.test(`[${backend}] every kind of network round-trips exactly`, async (t) => {
    const dir = t.testdir();
    const n = 33;
    const rng = new Rng(1);
    const thresholds = Array.from({ length: n }, () => rng.nextDouble() - 0.5);
    const nets = [
      new BinaryHopfield(n, { backend }).store(randomPatterns(5, n, { seed: 1 })),
      new BinaryHopfield(n, { backend, zeroDiagonal: false }).store(randomPatterns(300, n, { seed: 2 })),
      new BinaryHopfield(n, { backend, rule: 'storkey', thresholds }).store(randomPatterns(4, n, { seed: 3 })),
      new BinaryHopfield(n, { backend, rule: 'pseudoinverse' }).store(randomPatterns(6, n, { seed: 4 })),
      BinaryHopfield.fromWeights({ data: Float64Array.from({ length: n * n }, () => rng.nextDouble() - 0.5), rows: n, cols: n }, { backend, thresholds }),
      new BinaryHopfield(n, { backend }),
    ];
    const cues = randomPatterns(5, n, { seed: 9 });
    nets.forEach((net, k) => {
      const file = path.join(dir, `net${k}.sshn`);
      net.save(file);
      const back = BinaryHopfield.load(file, { backend });
      t.equal(back.rule, net.rule);
      t.equal(back.zeroDiagonal, net.zeroDiagonal);
      t.equal(back.weightStorage, net.weightStorage);
      t.equal(back.rank, net.rank);
      t.same(back.patterns, net.patterns);
      t.same(back.thresholds, net.thresholds);
      t.same(back.getWeights(), net.getWeights());
      const a = net.recallBatch(cues, { mode: 'sync' });
      const b = back.recallBatch(cues, { mode: 'sync' });
      t.same(b.map((r) => Array.from(r.state)), a.map((r) => Array.from(r.state)), 'same dynamics');
      t.same(BinaryHopfield.fromBuffer(net.toBuffer(), { backend }).getWeights(), net.getWeights(), 'buffer round trip');
    });
    // More patterns can be stored after loading.
    const loaded = BinaryHopfield.load(path.join(dir, 'net0.sshn'), { backend });
    loaded.store(randomPatterns(2, n, { seed: 7 }));
    t.equal(loaded.patternCount, 7);
    t.same(fs.readdirSync(dir).filter((f) => f.includes('.tmp')), [], 'no temporary files left');
  });
}

t.test('damaged files are clear errors', async (t) => {
  const net = new BinaryHopfield(20, { rule: 'storkey', thresholds: new Array(20).fill(0.1) }).store(randomPatterns(3, 20, { seed: 1 }));
  const good = net.toBuffer();
  // Every truncation point.
  let unclear = 0;
  for (let cut = 0; cut < good.length; cut += 7) {
    try {
      BinaryHopfield.fromBuffer(good.subarray(0, cut));
      unclear++;
    } catch (e) {
      if (!(e instanceof ModelFileError) || !/truncated|inconsistent|checksum/.test((e as Error).message)) unclear++;
    }
  }
  t.equal(unclear, 0, 'every truncation is reported');
  // Every single flipped byte is caught by a checksum or a field check.
  let missed = 0;
  for (let i = 0; i < good.length; i++) {
    const bad = Buffer.from(good);
    bad[i] ^= 0x20;
    try {
      BinaryHopfield.fromBuffer(bad);
      missed++;
    } catch (e) {
      if (!(e instanceof ModelFileError)) missed++;
    }
  }
  t.equal(missed, 0, 'every corrupted byte is detected');
  t.throws(() => BinaryHopfield.fromBuffer(Buffer.concat([good, Buffer.from([0])])), /trailing data/);
  t.throws(() => BinaryHopfield.fromBuffer(Buffer.from('not a model at all, just some text that is long enough to pass the size check')), /bad magic/);
  const future = Buffer.from(good);
  future.writeUInt32LE(99, 8);
  t.throws(() => BinaryHopfield.fromBuffer(future), /unsupported format version 99/);
  t.throws(() => BinaryHopfield.load('/nonexistent/dir/model.sshn'), /ENOENT/);
  t.throws(() => BinaryHopfield.load(42 as never), TypeError);
  t.throws(() => BinaryHopfield.fromBuffer('abc' as never), TypeError);
});

t.test('a failed save leaves the previous file intact', async (t) => {
  const dir = t.testdir();
  const file = path.join(dir, 'model.sshn');
  const first = new BinaryHopfield(10).store(randomPatterns(2, 10, { seed: 1 }));
  first.save(file);
  const before = fs.readFileSync(file);
  // Saving into a directory that does not exist fails before touching anything.
  t.throws(() => first.save(path.join(dir, 'missing', 'model.sshn')));
  // Saving over a path that is a directory fails at the rename; the temporary file is removed.
  fs.mkdirSync(path.join(dir, 'occupied'));
  t.throws(() => first.save(path.join(dir, 'occupied')));
  t.same(fs.readFileSync(file), before);
  t.same(fs.readdirSync(dir).sort(), ['model.sshn', 'occupied']);
});

t.test('a failed rename leaves the old file byte for byte and no temporary file', async (t) => {
  const dir = t.testdir();
  const file = path.join(dir, 'model.sshn');
  new BinaryHopfield(12).store(randomPatterns(2, 12, { seed: 1 })).save(file);
  const before = fs.readFileSync(file);
  const replacement = new BinaryHopfield(12, { rule: 'storkey' }).store(randomPatterns(3, 12, { seed: 2 })).toBuffer();
  let seenTemporary: Buffer | null = null;
  const failingRename = (from: string, to: string) => {
    t.equal(to, file, 'renames onto the target');
    t.equal(path.dirname(from), dir, 'the temporary file sits in the target directory');
    seenTemporary = fs.readFileSync(from);
    throw Object.assign(new Error('injected rename failure'), { code: 'EXDEV' });
  };
  t.throws(() => writeFileAtomic(file, replacement, { rename: failingRename }), /injected rename failure/);
  t.same(seenTemporary, replacement, 'the temporary file was complete and synced before the rename');
  t.ok(fs.readFileSync(file).equals(before), 'old file unchanged');
  t.same(fs.readdirSync(dir), ['model.sshn'], 'temporary file removed');
  // Without the seam the same call replaces the file.
  writeFileAtomic(file, replacement);
  t.ok(fs.readFileSync(file).equals(replacement));
  t.same(fs.readdirSync(dir), ['model.sshn']);
});

t.test('a write split into many short writes is complete', async (t) => {
  const dir = t.testdir();
  const file = path.join(dir, 'big.sshn');
  const bytes = new BinaryHopfield(101).store(randomPatterns(40, 101, { seed: 3 })).toBuffer();
  // 997 does not divide the size, so the last chunk is short; a single write would leave 997 bytes.
  t.not(bytes.length % 997, 0);
  writeFileAtomic(file, bytes, { chunkBytes: 997 });
  t.ok(fs.readFileSync(file).equals(bytes), `all ${bytes.length} bytes written`);
  t.equal(BinaryHopfield.load(file).patternCount, 40);
  writeFileAtomic(file, new Uint8Array(0), { chunkBytes: 997 });
  t.equal(fs.statSync(file).size, 0, 'an empty buffer gives an empty file');
});

t.test('threads saving to one path at once never fail and never leave a torn file', async (t) => {
  const dir = t.testdir();
  const file = path.join(dir, 'shared.sshn');
  const parties = 4;
  const rounds = 40;
  // Models of different sizes, so a mix of two is never a candidate.
  const candidates = Array.from({ length: parties }, (_, k) => new BinaryHopfield(40 + 8 * k).store(randomPatterns(3, 40 + 8 * k, { seed: k })).toBuffer());
  const barrier = new SharedArrayBuffer(8);
  const results = await Promise.all(
    candidates.map(
      (_, index) =>
        new Promise<{ errors: string[]; torn: number }>((resolve, reject) => {
          const worker = new Worker(path.join(__dirname, `concurrent-save-worker${path.extname(__filename)}`), {
            workerData: { file, index, candidates, rounds, parties, barrier },
          });
          worker.once('message', resolve);
          worker.once('error', reject);
        }),
    ),
  );
  const errors = results.flatMap((r) => r.errors);
  t.same(errors.slice(0, 3), [], `${errors.length} of ${parties * rounds} saves failed`);
  t.equal(results.reduce((a, r) => a + r.torn, 0), 0, 'every read found one complete model');
  t.ok(candidates.some((c) => fs.readFileSync(file).equals(c)));
  t.same(fs.readdirSync(dir), ['shared.sshn'], 'no temporary file left');
});
