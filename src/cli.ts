#!/usr/bin/env node
// Command line: `sshn demo` (the main job: store, corrupt and recall patterns) and `sshn info`.
import { backendInfo, BinaryHopfield, capacityCurve, flipBits, overlap, StorageRule } from './index';

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

function demo(): void {
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
  for (const rule of ['hebbian', 'storkey', 'pseudoinverse'] as StorageRule[]) {
    const net = new BinaryHopfield(n, { rule });
    net.store(patterns);
    const results = net.recallBatch(cues, { seed: 7 });
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
  for (const rule of ['hebbian', 'storkey', 'pseudoinverse'] as StorageRule[]) {
    const curve = capacityCurve({ n: 256, loads, rule, noise: 0.1, seed: 1 });
    console.log(`   ${rule.padEnd(14)}${curve.map((p) => p.meanOverlap.toFixed(3).padStart(6)).join('')}`);
  }
}

function main(argv: string[]): number {
  const command = argv[0] ?? 'help';
  if (command === 'demo') {
    demo();
    return 0;
  }
  if (command === 'info') {
    const { version } = require('../package.json') as { version: string };
    console.log(JSON.stringify({ sshn: version, node: process.version, napi: process.versions.napi, ...backendInfo() }, null, 2));
    return 0;
  }
  console.log('usage: sshn <demo|info>\n  demo  store, corrupt and recall patterns with each storage rule\n  info  backend and binary in use');
  return command === 'help' || command === '--help' ? 0 : 2;
}

process.exitCode = main(process.argv.slice(2));
