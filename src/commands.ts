// The commands of the command line (src/cli.ts): `sshn demo` (the main job: store, corrupt and
// recall patterns with classical, dense, sparse and structured memories), `sshn bench` and `sshn info`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { binaryBenchmark, markdownTable, memoryBenchmark } from './bench';
import { writeFileAtomic } from './io/files';
import { backendInfo, BinaryHopfield, capacityCurve, CapacityPoint, flipBits, HopfieldMemory, MemoryTransform, overlap, StorageRule } from './index';
import { capacityCurveSvg, energyTraceSvg, lineChartSvg, patternGridSvg } from './plot/svg';

/** A one-line progress bar on stderr, drawn only on a terminal. */
function progressBar(label: string): (done: number, total: number, step: string) => void {
  const tty = process.stderr.isTTY;
  return (done, total, step) => {
    if (!tty) return;
    const width = 30;
    const filled = Math.round((done / total) * width);
    process.stderr.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${step.padEnd(28)}`);
    if (done === total) process.stderr.write('\n');
  };
}

// 8x8 letters, '#' = +1.
const LETTERS: Record<string, string[]> = {
  A: ['...##...', '..#..#..', '.#....#.', '.#....#.', '.######.', '.#....#.', '.#....#.', '........'],
  C: ['..####..', '.#....#.', '.#......', '.#......', '.#......', '.#....#.', '..####..', '........'],
  H: ['.#....#.', '.#....#.', '.#....#.', '.######.', '.#....#.', '.#....#.', '.#....#.', '........'],
  L: ['.#......', '.#......', '.#......', '.#......', '.#......', '.#......', '.######.', '........'],
  T: ['.#######', '....#...', '....#...', '....#...', '....#...', '....#...', '....#...', '........'],
  X: ['#......#', '.#....#.', '..#..#..', '...##...', '..#..#..', '.#....#.', '#......#', '........'],
};

function letterPattern(rows: string[]): number[] {
  return rows.join('').split('').map((c) => (c === '#' ? 1 : -1));
}

// Two characters per pixel; values in [-1, 1] in five grey levels (+-1 patterns use only the ends).
const SHADES = ['··', '░░', '▒▒', '▓▓', '██'];

function gridLines(state: ArrayLike<number>, width: number): string[] {
  const lines: string[] = [];
  for (let r = 0; r * width < state.length; r++) {
    let line = '';
    for (let c = 0; c < width; c++) {
      const level = Math.round(((Math.max(-1, Math.min(1, state[r * width + c])) + 1) / 2) * (SHADES.length - 1));
      line += SHADES[level];
    }
    lines.push(line);
  }
  return lines;
}

function printSideBySide(titles: string[], grids: ArrayLike<number>[], width: number): void {
  const blocks = grids.map((g) => gridLines(g, width));
  const columnWidth = Math.max(width * 2, ...titles.map((t) => t.length)) + 3;
  console.log(titles.map((t) => t.padEnd(columnWidth)).join(''));
  for (let r = 0; r < blocks[0].length; r++) console.log(blocks.map((b) => b[r].padEnd(columnWidth)).join(''));
}

const scaled = (v: ArrayLike<number>, factor: number) => Array.from(v, (x) => x * factor);
const sum = (rows: ArrayLike<number>[]) => rows.reduce<number[]>((acc, row) => acc.map((a, c) => a + row[c]), new Array(rows[0].length).fill(0));
const equal = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.from(a).every((v, i) => v === b[i]);
/** The stored letters a memory's weights p select (p > 0), e.g. "A+T". */
const selected = (weights: ArrayLike<number>, names: string[]) => names.filter((_, i) => weights[i] > 0).join('+');

const SHORT_RULE_NAMES: Record<StorageRule, string> = { hebbian: 'Hebb', storkey: 'Storkey', pseudoinverse: 'p-inv' };

/** The SVG files of the demo, by name. */
type Pictures = Record<string, string>;

/** The stored letters and their corrupted cues, shared by every part of the demo. */
interface Letters {
  names: string[];
  patterns: number[][];
  cues: Int8Array[];
  flips: number;
}

function classicalDemo({ names, patterns, cues, flips }: Letters, pictures: Pictures): void {
  console.log('1. The 3x3 H and V patterns: store, then recall from a noisy H');
  const H = [1, 1, 1, 1, -1, 1, 1, 1, 1];
  const V = [-1, 1, -1, -1, 1, -1, -1, 1, -1];
  const small = new BinaryHopfield(9);
  small.store([H, V]);
  const noisyH = [1, 1, -1, 1, -1, 1, -1, 1, 1];
  const recalled = small.recall(noisyH, { seed: 1 });
  printSideBySide(['stored H', 'stored V', 'noisy cue', 'recalled'], [H, V, noisyH, recalled.state], 3);
  console.log(`   overlap with H: ${overlap(recalled.state, H).toFixed(2)}; energy ${recalled.energies[0].toFixed(3)} -> ${recalled.energies[recalled.sweeps].toFixed(3)} in ${recalled.sweeps} sweeps\n`);

  const n = patterns[0].length;
  console.log(`2. Six 8x8 letters (N = ${n}), ${flips} of ${n} pixels flipped in each cue, three storage rules`);
  const figureRows: ArrayLike<number>[] = [...patterns, ...cues];
  const figureTitles = [...names.map((k) => `${k} stored`), ...names.map((k) => `${k} cue`)];
  const traces: { name: string; energies: Float64Array }[] = [];
  for (const rule of ['hebbian', 'storkey', 'pseudoinverse'] as StorageRule[]) {
    const net = new BinaryHopfield(n, { rule });
    net.store(patterns);
    const results = net.recallBatch(cues, { seed: 7 });
    results.forEach((r, i) => {
      figureRows.push(r.state);
      figureTitles.push(`${names[i]} ${SHORT_RULE_NAMES[rule]}`);
    });
    traces.push({ name: `${rule} (${names[0]})`, energies: results[0].energies });
    const exact = results.filter((r, i) => overlap(r.state, patterns[i]) === 1).length;
    console.log(`\n   ${rule}: ${exact}/${names.length} letters recalled exactly`);
    printSideBySide(
      names.flatMap((k) => [`${k} cue`, `${k} out`]).slice(0, 6),
      [cues[0], results[0].state, cues[1], results[1].state, cues[2], results[2].state],
      8,
    );
  }
  pictures['letters.svg'] = patternGridSvg(figureRows, { width: 8, titles: figureTitles, columns: names.length, cell: 10 });
  pictures['energy.svg'] = energyTraceSvg(traces, { title: 'Energy along asynchronous recall' });
}

const MEMORY_BETA = 0.15;
const SUPPORT_BETAS = [0.01, 0.02, 0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.3];

function denseSparseDemo({ names, patterns, cues }: Letters, pictures: Pictures): void {
  const shown = 1; // C: the letter softmax confuses with L
  console.log(`\n3. The same cues recalled by Hopfield-Fenchel-Young memories (beta = ${MEMORY_BETA}): q <- X^T p, p = transform(beta X q)`);
  const figureRows: ArrayLike<number>[] = [...patterns, ...cues];
  const figureTitles = [...names.map((k) => `${k} stored`), ...names.map((k) => `${k} cue`)];
  const traces: { name: string; energies: Float64Array }[] = [];
  const supports: { name: string; x: number[]; y: number[] }[] = [];
  for (const [transform, kind] of [['softmax', 'dense'], ['sparsemax', 'sparse'], ['entmax15', 'sparse']] as [MemoryTransform & string, string][]) {
    const memory = new HopfieldMemory(patterns, { transform, beta: MEMORY_BETA });
    const results = cues.map((cue) => memory.retrieve(cue));
    const exact = results.filter((r, i) => equal(r.state, patterns[i])).length;
    const error = Math.max(...results.map((r, i) => Math.max(...Array.from(r.state, (v, c) => Math.abs(v - patterns[i][c])))));
    console.log(`\n   ${transform} (${kind}): ${exact}/${names.length} letters recalled exactly; support sizes ${Array.from(results, (r) => r.support).join(',')}; largest pixel error ${error.toFixed(2)}`);
    const p = results[shown].weights;
    console.log(`   weights p of the ${names[shown]} cue: ${names.map((k, i) => `${k} ${p[i].toFixed(2)}`).join(', ')}`);
    printSideBySide(
      names.flatMap((k) => [`${k} cue`, `${k} out`]).slice(0, 6),
      [cues[0], results[0].state, cues[1], results[1].state, cues[2], results[2].state],
      8,
    );
    results.forEach((r, i) => {
      figureRows.push(r.state);
      figureTitles.push(`${names[i]} ${transform}`);
    });
    traces.push({ name: transform, energies: results[shown].energies });
    // Sparse transforms keep fewer letters in p as beta grows; softmax keeps them all.
    const y = SUPPORT_BETAS.map((beta) => {
      const r = new HopfieldMemory(patterns, { transform, beta }).retrieveBatch(cues, { weights: 'none' });
      return r.support.reduce((a, v) => a + v, 0) / cues.length;
    });
    supports.push({ name: transform, x: SUPPORT_BETAS, y });
  }
  pictures['memory-letters.svg'] = patternGridSvg(figureRows, { width: 8, titles: figureTitles, columns: names.length, cell: 10 });
  pictures['memory-energy.svg'] = energyTraceSvg(traces, { title: `Memory energy from the ${names[shown]} cue`, xLabel: 'update' });
  pictures['memory-support.svg'] = lineChartSvg(supports, { title: 'Letters kept in p after retrieval (mean over the cues)', xLabel: 'beta', yLabel: 'support size' });
}

const STRUCTURED_BETA = 1;
const SEQUENCE_BONUS = 100;

function structuredDemo({ names, patterns, cues }: Letters, pictures: Pictures): void {
  const k = 2;
  console.log(`\n4. Structured memories (beta = ${STRUCTURED_BETA}): p selects k = ${k} letters, the state is their sum (an association)`);
  const pairs = [[0, 4], [1, 3], [2, 5]];
  const kSubsets = new HopfieldMemory(patterns, { transform: { name: 'kSubsets', k }, beta: STRUCTURED_BETA });
  const pairCues = pairs.map(([i, j]) => sum([cues[i], cues[j]]));
  const pairResults = pairCues.map((cue) => kSubsets.retrieve(cue));
  const exactPairs = pairResults.filter((r, m) => equal(r.state, sum(pairs[m].map((i) => patterns[i])))).length;
  console.log(`   k-subsets, cues mixing two corrupted letters: ${exactPairs}/${pairs.length} pairs recalled exactly as the sum of their two letters`);
  pairResults.forEach((r, m) => console.log(`   ${pairs[m].map((i) => names[i]).join('+')} cue: weights select ${selected(r.weights, names)} in ${r.iterations} updates`));
  const pairTitles = pairs.map((pair) => pair.map((i) => names[i]).join('+'));
  printSideBySide(pairTitles.flatMap((t) => [`${t} cue/2`, `${t} out/2`]), pairResults.flatMap((r, m) => [scaled(pairCues[m], 1 / k), scaled(r.state, 1 / k)]), 8);

  const sequential = new HopfieldMemory(patterns, { transform: { name: 'sequentialKSubsets', k, bonus: SEQUENCE_BONUS }, beta: STRUCTURED_BETA });
  console.log(`\n   One corrupted letter each, k = ${k}: k-subsets pairs it with a similar letter; sequential k-subsets`);
  console.log(`   (bonus ${SEQUENCE_BONUS} for consecutive letters) with a neighbour in the stored order ${names.join(' ')}`);
  console.log(`   cue   k-subsets   sequential`);
  const single = cues.map((cue) => ({ free: kSubsets.retrieve(cue), chain: sequential.retrieve(cue) }));
  let sums = 0;
  single.forEach(({ free, chain }, i) => {
    for (const r of [free, chain]) {
      const chosen = patterns.filter((_, j) => r.weights[j] === 1);
      if (chosen.length === k && equal(r.state, sum(chosen))) sums++;
    }
    console.log(`   ${names[i].padEnd(6)}${selected(free.weights, names).padEnd(12)}${selected(chain.weights, names)}`);
  });
  console.log(`   ${sums}/${2 * names.length} final states are exactly the sum of ${k} stored letters`);
  printSideBySide(names.slice(0, 3).flatMap((name) => [`${name} k-sub/2`, `${name} seq/2`]), single.slice(0, 3).flatMap((s) => [scaled(s.free.state, 1 / k), scaled(s.chain.state, 1 / k)]), 8);

  const rows = [...pairResults.flatMap((r, m) => [scaled(pairCues[m], 1 / k), scaled(r.state, 1 / k)]), ...single.flatMap((s) => [scaled(s.free.state, 1 / k), scaled(s.chain.state, 1 / k)])];
  const titles = [...pairTitles.flatMap((t) => [`${t} cue`, `${t} k-subsets`]), ...single.flatMap((s, i) => [`${names[i]}: ${selected(s.free.weights, names)}`, `${names[i]}: ${selected(s.chain.weights, names)} seq`])];
  pictures['structured.svg'] = patternGridSvg(rows, { width: 8, titles, columns: 6, cell: 10 });
}

function capacityDemo(pictures: Pictures): void {
  console.log('\n5. Capacity of random patterns (N = 256, 10% noise): mean final overlap by load p/N');
  const loads = [0.05, 0.1, 0.14, 0.2, 0.3];
  const rules = ['hebbian', 'storkey', 'pseudoinverse'] as StorageRule[];
  const progress = progressBar('capacity');
  const curves: { name: string; points: CapacityPoint[] }[] = rules.map((rule, i) => {
    progress(i, rules.length, rule);
    return { name: rule, points: capacityCurve({ n: 256, loads, rule, noise: 0.1, seed: 1 }) };
  });
  progress(rules.length, rules.length, 'done');
  console.log(`   load          ${loads.map((l) => l.toFixed(2).padStart(6)).join('')}`);
  for (const { name, points } of curves) console.log(`   ${name.padEnd(14)}${points.map((p) => p.meanOverlap.toFixed(3).padStart(6)).join('')}`);
  pictures['capacity.svg'] = capacityCurveSvg(curves, { title: 'Capacity (N = 256, 10% noise)' });
}

function demo(outDir: string): void {
  const info = backendInfo();
  console.log(`sshn demo (backend: ${info.active})\n`);
  const names = Object.keys(LETTERS);
  const patterns = names.map((k) => letterPattern(LETTERS[k]));
  const flips = Math.round(0.1 * patterns[0].length);
  const cues = patterns.map((p, i) => flipBits(p, flips, 100 + i));
  const letters = { names, patterns, cues, flips };
  const pictures: Pictures = {};
  classicalDemo(letters, pictures);
  denseSparseDemo(letters, pictures);
  structuredDemo(letters, pictures);
  capacityDemo(pictures);
  fs.mkdirSync(outDir, { recursive: true });
  for (const [name, svg] of Object.entries(pictures)) writeFileAtomic(path.join(outDir, name), svg);
  console.log(`\nPictures: ${Object.keys(pictures).map((f) => path.join(outDir, f)).join(', ')}`);
}

const USAGE = `usage: sshn <command> [options]
  demo [--out DIR]            store, corrupt and recall letters with classical (three storage rules),
                              dense, sparse and structured memories; print the grids and write SVG
                              pictures to DIR (default ./sshn-demo)
  bench [--sizes 256,1024]    binary Hopfield networks, native vs pure TypeScript (Markdown tables)
        [--runs 5]
  bench --memory              one memory update of 256 queries against N patterns of 784, per
        [--patterns 6000]     transform, against the GEMM peak (Markdown table)
        [--runs 5]
  info                        backend, binary in use, versions
  help                        this text`;

/** A command-line mistake: reported in one line on stderr, exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Options each command accepts: true = takes a value, false = a switch. */
const COMMANDS: Record<string, Record<string, boolean>> = {
  demo: { '--out': true },
  bench: { '--sizes': true, '--runs': true, '--memory': false, '--patterns': true },
  info: {},
  help: {},
};

function parseOptions(command: string, argv: string[]): Map<string, string | true> {
  const accepted = COMMANDS[command];
  const options = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i];
    if (!Object.hasOwn(accepted, name)) throw new UsageError(`unknown ${name.startsWith('-') ? 'option' : 'argument'} '${name}' for '${command}'`);
    if (options.has(name)) throw new UsageError(`option ${name} given twice`);
    if (!accepted[name]) {
      options.set(name, true);
      continue;
    }
    const value = argv[++i];
    if (value === undefined || value.startsWith('--')) throw new UsageError(`option ${name} needs a value`);
    options.set(name, value);
  }
  return options;
}

function integerOption(options: Map<string, string | true>, name: string, fallback: number, min: number): number {
  const raw = options.get(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(String(raw)) || !Number.isSafeInteger(value) || value < min) throw new UsageError(`${name} must be an integer >= ${min}, got '${raw}'`);
  return value;
}

function bench(options: Map<string, string | true>): void {
  const runs = integerOption(options, '--runs', 5, 1);
  if (options.has('--memory')) {
    if (options.has('--sizes')) throw new UsageError('--sizes is for the binary benchmark; with --memory use --patterns');
    const patterns = integerOption(options, '--patterns', 6000, 10);
    const { title, rows } = memoryBenchmark({ patterns, runs, peakSize: 1024, onProgress: progressBar('bench') });
    console.log(`## ${title}; median of ${runs} runs\n\n${markdownTable(rows)}`);
    return;
  }
  if (options.has('--patterns')) throw new UsageError('--patterns needs --memory');
  const raw = String(options.get('--sizes') ?? '256,1024,4096');
  const sizes = raw.split(',').map(Number);
  if (!/^\d+(,\d+)*$/.test(raw) || sizes.some((n) => !Number.isSafeInteger(n) || n < 2)) throw new UsageError(`--sizes must be a comma-separated list of integers >= 2, got '${raw}'`);
  const { timings, sweeps } = binaryBenchmark({ sizes, runs, onProgress: progressBar('bench') });
  console.log(`## Binary Hopfield (p = 0.1 N, 10% noise; median of ${runs} runs)\n\n${markdownTable(timings)}\n`);
  console.log(`## One asynchronous sweep vs one read of W\n\n${markdownTable(sweeps)}`);
}

/** Runs one command line (without `node sshn`); throws UsageError on a mistake in it. */
export function run(argv: string[]): void {
  const command = argv[0] ?? 'help';
  if (command === '--help' || command === '-h') return run(['help', ...argv.slice(1)]);
  // Own keys only: 'constructor' or 'toString' must not reach Object.prototype.
  if (!Object.hasOwn(COMMANDS, command)) throw new UsageError(`unknown command '${command}'`);
  const options = parseOptions(command, argv.slice(1));
  if (command === 'demo') demo(String(options.get('--out') ?? 'sshn-demo'));
  else if (command === 'bench') bench(options);
  else if (command === 'info') {
    const { version } = require('../package.json') as { version: string };
    console.log(JSON.stringify({ sshn: version, node: process.version, napi: process.versions.napi, platform: `${process.platform}-${process.arch}`, ...backendInfo() }, null, 2));
  } else console.log(USAGE);
}
