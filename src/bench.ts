// Benchmark helpers (medians over several runs, Markdown tables) and the binary Hopfield
// benchmark, shared by `npm run bench` (bench/) and `sshn bench`.
import { availableBackends } from './backend';
import { BinaryHopfield, StorageRule } from './hopfield/binary';
import { flipBits, randomPatterns } from './hopfield/patterns';

/** Median wall time in milliseconds of `runs` calls of fn, after one warm-up call. */
export function medianMs(fn: () => unknown, runs = 5): number {
  fn();
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Same for an async function. */
export async function medianMsAsync(fn: () => Promise<unknown>, runs = 5): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

export type Row = Record<string, string | number>;

/** Rows (objects with the same keys) as a Markdown table. */
export function markdownTable(rows: Row[]): string {
  if (rows.length === 0) return '';
  const keys = Object.keys(rows[0]);
  const cell = (v: string | number | undefined) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(3)) : String(v ?? ''));
  return [`| ${keys.join(' | ')} |`, `| ${keys.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${keys.map((k) => cell(r[k])).join(' | ')} |`)].join('\n');
}

export function printTable(rows: Row[]): void {
  console.log(markdownTable(rows));
}

export interface BinaryBenchmarkOptions {
  sizes?: number[];
  runs?: number;
  /** Called before each measurement with (done, total, label). */
  onProgress?: (done: number, total: number, label: string) => void;
}

/** Native vs pure TS: storing p = 0.1 N patterns and recalling 10%-noise cues; one sweep vs one read of W. */
export function binaryBenchmark(options: BinaryBenchmarkOptions = {}): { timings: Row[]; sweeps: Row[] } {
  const sizes = options.sizes ?? [256, 1024, 4096];
  const runs = options.runs ?? 5;
  const backends = availableBackends();
  const timings: Row[] = [];
  const sweeps: Row[] = [];
  const plan = sizes.map((n) => ({ n, rules: (n <= 1024 ? ['hebbian', 'storkey', 'pseudoinverse'] : ['hebbian']) as StorageRule[] }));
  const total = plan.reduce((a, p) => a + p.rules.length + 3, 0);
  let done = 0;
  const step = (label: string) => options.onProgress?.(done++, total, label);
  const timeBoth = (task: string, n: number, make: (backend: 'native' | 'js') => () => unknown) => {
    const row: Row = { task, N: n };
    for (const backend of ['native', 'js'] as const) {
      if (backends.includes(backend)) row[`${backend} ms`] = medianMs(make(backend), backend === 'js' && n >= 4096 ? Math.min(runs, 3) : runs);
    }
    if (typeof row['native ms'] === 'number' && typeof row['js ms'] === 'number') row['js / native'] = row['js ms'] / row['native ms'];
    timings.push(row);
  };
  for (const { n, rules } of plan) {
    const p = Math.round(0.1 * n);
    const patterns = randomPatterns(p, n, { seed: 1 });
    const cues = new Int8Array(p * n);
    for (let mu = 0; mu < p; mu++) cues.set(flipBits(patterns.data.subarray(mu * n, (mu + 1) * n), Math.round(0.1 * n), mu), mu * n);
    for (const rule of rules) {
      step(`store ${rule} N=${n}`);
      timeBoth(`store ${rule}`, n, (backend) => () => new BinaryHopfield(n, { rule, backend }).store(patterns));
    }
    const nets = Object.fromEntries(backends.map((b) => [b, new BinaryHopfield(n, { backend: b }).store(patterns)])) as Record<string, BinaryHopfield>;
    const count = Math.min(p, 64);
    const batch = { data: cues.subarray(0, count * n), rows: count, cols: n };
    step(`recall batch N=${n}`);
    timeBoth(`recall ${count} cues (async, to convergence)`, n, (b) => () => nets[b].recallBatch(batch, { seed: 1, trackEnergy: false }));
    step(`recall one N=${n}`);
    timeBoth('recall 1 cue (async, to convergence)', n, (b) => () => nets[b].recall(cues.subarray(0, n), { seed: 1 }));
    step(`sweep vs read N=${n}`);
    const random = randomPatterns(1, n, { seed: 99 }).data;
    for (const backend of backends) {
      const net = nets[backend];
      const read = medianMs(() => net.energy(random), runs * 4);
      const sweep = medianMs(() => net.recall(random, { maxSweeps: 1, trackEnergy: false, fields: 'matrix' }), runs * 4);
      const overlaps = medianMs(() => net.recall(random, { maxSweeps: 1, trackEnergy: false, fields: 'patterns' }), runs * 4);
      sweeps.push({
        backend, N: n, weights: net.weightStorage, 'read W (ms)': read,
        'fields + 1 sweep, matrix (ms)': sweep, 'sweep / read': (sweep - read) / read, 'fields + 1 sweep, overlaps (ms)': overlaps,
      });
    }
  }
  options.onProgress?.(total, total, 'done');
  return { timings, sweeps };
}
