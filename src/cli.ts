#!/usr/bin/env node
// Command line: `sshn demo` (the main job: store, corrupt and recall patterns) and `sshn info`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { binaryBenchmark, markdownTable } from './bench';
import { backendInfo, BinaryHopfield, capacityCurve, CapacityPoint, flipBits, overlap, StorageRule } from './index';
import { capacityCurveSvg, energyTraceSvg, patternGridSvg } from './plot/svg';

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

function gridLines(state: ArrayLike<number>, width: number): string[] {
  const lines: string[] = [];
  for (let r = 0; r * width < state.length; r++) {
    let line = '';
    for (let c = 0; c < width; c++) line += state[r * width + c] > 0 ? '██' : '··';
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

const SHORT_RULE_NAMES: Record<StorageRule, string> = { hebbian: 'Hebb', storkey: 'Storkey', pseudoinverse: 'p-inv' };

function demo(outDir: string): void {
  const info = backendInfo();
  console.log(`sshn demo (backend: ${info.active})\n`);

  console.log('1. The 3x3 H and V patterns: store, then recall from a noisy H');
  const H = [1, 1, 1, 1, -1, 1, 1, 1, 1];
  const V = [-1, 1, -1, -1, 1, -1, -1, 1, -1];
  const small = new BinaryHopfield(9);
  small.store([H, V]);
  const noisyH = [1, 1, -1, 1, -1, 1, -1, 1, 1];
  const recalled = small.recall(noisyH, { seed: 1 });
  printSideBySide(['stored H', 'stored V', 'noisy cue', 'recalled'], [H, V, noisyH, recalled.state], 3);
  console.log(`   overlap with H: ${overlap(recalled.state, H).toFixed(2)}; energy ${recalled.energies[0].toFixed(3)} -> ${recalled.energies[recalled.sweeps].toFixed(3)} in ${recalled.sweeps} sweeps\n`);

  const names = Object.keys(LETTERS);
  const patterns = names.map((k) => letterPattern(LETTERS[k]));
  const n = patterns[0].length;
  const flips = Math.round(0.1 * n);
  console.log(`2. Six 8x8 letters (N = ${n}), ${flips} of ${n} pixels flipped in each cue, three storage rules`);
  const cues = patterns.map((p, i) => flipBits(p, flips, 100 + i));
  const figureRows: number[][] = [...patterns, ...cues.map((c) => Array.from(c))];
  const figureTitles = [...names.map((k) => `${k} stored`), ...names.map((k) => `${k} cue`)];
  const traces: { name: string; energies: Float64Array }[] = [];
  for (const rule of ['hebbian', 'storkey', 'pseudoinverse'] as StorageRule[]) {
    const net = new BinaryHopfield(n, { rule });
    net.store(patterns);
    const results = net.recallBatch(cues, { seed: 7 });
    results.forEach((r, i) => {
      figureRows.push(Array.from(r.state));
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

  console.log('\n3. Capacity of random patterns (N = 256, 10% noise): mean final overlap by load p/N');
  const loads = [0.05, 0.1, 0.14, 0.2, 0.3];
  console.log(`   load          ${loads.map((l) => l.toFixed(2).padStart(6)).join('')}`);
  const curves: { name: string; points: CapacityPoint[] }[] = [];
  for (const rule of ['hebbian', 'storkey', 'pseudoinverse'] as StorageRule[]) {
    const curve = capacityCurve({ n: 256, loads, rule, noise: 0.1, seed: 1 });
    curves.push({ name: rule, points: curve });
    console.log(`   ${rule.padEnd(14)}${curve.map((p) => p.meanOverlap.toFixed(3).padStart(6)).join('')}`);
  }

  fs.mkdirSync(outDir, { recursive: true });
  const files = {
    'letters.svg': patternGridSvg(figureRows, { width: 8, titles: figureTitles, columns: names.length, cell: 10 }),
    'energy.svg': energyTraceSvg(traces, { title: 'Energy along asynchronous recall' }),
    'capacity.svg': capacityCurveSvg(curves, { title: 'Capacity (N = 256, 10% noise)' }),
  };
  for (const [name, svg] of Object.entries(files)) fs.writeFileSync(path.join(outDir, name), svg);
  console.log(`\nPictures: ${Object.keys(files).map((f) => path.join(outDir, f)).join(', ')}`);
}

function option(argv: string[], name: string, fallback: string): string {
  const i = argv.indexOf(name);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : fallback;
}

const USAGE = `usage: sshn <command> [options]
  demo [--out DIR]            store, corrupt and recall letters with each storage rule; print the
                              grids and write SVG pictures to DIR (default ./sshn-demo)
  bench [--sizes 256,1024]    native vs pure TypeScript timings (Markdown table)
        [--runs 5]
  info                        backend, binary in use, versions`;

function main(argv: string[]): number {
  const command = argv[0] ?? 'help';
  if (command === 'demo') {
    demo(option(argv, '--out', 'sshn-demo'));
    return 0;
  }
  if (command === 'bench') {
    const sizes = option(argv, '--sizes', '256,1024,4096').split(',').map(Number);
    const runs = Number(option(argv, '--runs', '5'));
    if (sizes.some((n) => !Number.isInteger(n) || n < 2) || !Number.isInteger(runs) || runs < 1) {
      console.error(USAGE);
      return 2;
    }
    const { timings, sweeps } = binaryBenchmark({ sizes, runs, onProgress: progressBar('bench') });
    console.log(`## Binary Hopfield (p = 0.1 N, 10% noise; median of ${runs} runs)\n\n${markdownTable(timings)}\n`);
    console.log(`## One asynchronous sweep vs one read of W\n\n${markdownTable(sweeps)}`);
    return 0;
  }
  if (command === 'info') {
    const { version } = require('../package.json') as { version: string };
    console.log(JSON.stringify({ sshn: version, node: process.version, napi: process.versions.napi, platform: `${process.platform}-${process.arch}`, ...backendInfo() }, null, 2));
    return 0;
  }
  console.log(USAGE);
  return command === 'help' || command === '--help' ? 0 : 2;
}

process.exitCode = main(process.argv.slice(2));
