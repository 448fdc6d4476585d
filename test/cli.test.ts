// The command line (lib/cli.js, built by tsc): the demo's grids agree with what its lines claim
// and with the mathematics of each memory, its pictures are well-formed SVG and identical on both
// backends; info reports the backend and versions; bench prints Markdown tables; mistakes
// (including a bad SSHN_BACKEND) exit 2 with one line on stderr.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BackendName } from '../src/index';
import { backendsUnderTest, wellFormedSvg } from './helpers';

const root = path.join(__dirname, '..');
const cli = path.join(root, 'lib', 'cli.js');

function sshn(args: string[], backend?: BackendName | string) {
  const env = { ...process.env, SSHN_BACKEND: backend };
  const start = Date.now();
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, env, encoding: 'utf8', timeout: 300000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ms: Date.now() - start };
}

const SHADES: Record<string, number> = { '··': -1, '░░': -0.5, '▒▒': 0, '▓▓': 0.5, '██': 1 };

interface Block {
  /** The lines of text between the previous block and this one (e.g. "   sparsemax (sparse): 6/6 letters recalled exactly; ..."). */
  context: string[];
  grids: Map<string, number[]>;
}

/** Every block of side-by-side grids: a title line, then rows of two-character pixels. */
function gridBlocks(lines: string[]): Block[] {
  const isRow = (line: string | undefined) => line !== undefined && line.trim() !== '' && /^[·░▒▓█ ]+$/.test(line);
  const blocks: Block[] = [];
  let context: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!isRow(lines[i + 1]) || isRow(lines[i])) {
      if (!isRow(lines[i]) && lines[i].trim() !== '') context.push(lines[i]);
      continue;
    }
    const starts = [...lines[i].matchAll(/\S+(?: \S+)*/g)].map((m) => ({ title: m[0], at: m.index as number }));
    const grids = new Map<string, number[]>(starts.map((s) => [s.title, []]));
    let r = i + 1;
    for (; isRow(lines[r]); r++) {
      for (const { title, at } of starts) {
        const cells = lines[r].slice(at).split(' ')[0];
        for (let c = 0; c < cells.length; c += 2) grids.get(title)!.push(SHADES[cells.slice(c, c + 2)]);
      }
    }
    blocks.push({ context, grids });
    context = [];
    i = r - 1;
  }
  return blocks;
}

const differences = (a: number[], b: number[]) => a.reduce((n, v, i) => n + (v !== b[i] ? 1 : 0), 0);

t.test('demo: grids and claims agree, pictures are well-formed and the same on every backend', { timeout: 300000 }, async (t) => {
  const outputs: Record<string, { lines: string[]; pictures: Map<string, string> }> = {};
  for (const backend of backendsUnderTest()) {
    const out = path.join(t.testdir(), backend);
    const r = sshn(['demo', '--out', out], backend);
    t.equal(r.status, 0, r.stderr);
    t.equal(r.stderr, '', 'no progress bar off a terminal, no warning');
    t.ok(r.ms < 20000, `${backend}: the demo took ${r.ms} ms`);
    const lines = r.stdout.split('\n');
    t.equal(lines[0], `sshn demo (backend: ${backend})`);

    // Pictures: the files it lists, and only those, exist and are well-formed SVG.
    const listed = (lines.find((l) => l.startsWith('Pictures: ')) ?? '').slice('Pictures: '.length).split(', ');
    t.same(listed.map((f) => path.basename(f)).sort(), fs.readdirSync(out).sort(), 'every picture written is listed');
    for (const name of ['letters.svg', 'energy.svg', 'capacity.svg', 'memory-letters.svg', 'memory-energy.svg', 'memory-support.svg', 'structured.svg']) t.ok(listed.includes(path.join(out, name)), name);
    const pictures = new Map(listed.map((f) => [path.basename(f), fs.readFileSync(f, 'utf8')]));
    for (const [name, svg] of pictures) t.ok(wellFormedSvg(svg), `${name} is well-formed`);
    const grids = (name: string) => (pictures.get(name)!.match(/<g transform=/g) ?? []).length;
    t.equal(grids('letters.svg'), 6 * 5, 'letters.svg: stored, cues and three rules');
    t.equal(grids('memory-letters.svg'), 6 * 5, 'memory-letters.svg: stored, cues and three transforms');
    t.equal(grids('structured.svg'), 3 * 2 + 6 * 2, 'structured.svg: pairs and single letters');
    outputs[backend] = { lines, pictures };

    const blocks = gridBlocks(lines);
    t.equal(blocks.length, 1 + 3 + 3 + 2, 'H/V, three rules, three transforms, two structured blocks');
    const flips = Number(/(\d+) of 64 pixels flipped/.exec(r.stdout)?.[1]);
    t.equal(flips, 6);

    // An exact recall differs from its cue in exactly the flipped pixels, and every exact recall of a letter agrees.
    const exact = new Map<string, number[]>();
    let exactBlocks = 0;
    for (const { context, grids } of blocks) {
      const claim = context.map((l) => /^ {3}(\w+)(?: \((dense|sparse)\))?: (\d)\/6 letters recalled exactly/.exec(l)).find((m) => m);
      if (!claim || claim[3] !== '6') continue;
      exactBlocks++;
      for (const [title, grid] of grids) {
        const [letter, kind] = title.split(' ');
        if (kind !== 'out') continue;
        t.equal(differences(grid, grids.get(`${letter} cue`)!), flips, `${claim[1]}: ${letter} is the cue with its ${flips} flips undone`);
        if (exact.has(letter)) t.same(grid, exact.get(letter), `${claim[1]}: ${letter} as the other exact recalls`);
        exact.set(letter, grid);
      }
    }
    t.equal(exactBlocks, 3, 'pseudoinverse, sparsemax and 1.5-entmax recall every letter exactly');

    // softmax never gives a zero weight; a sparse p that returns a +-1 letter exactly must be one-hot (a vertex of the cube is no mixture).
    const supports = (name: string) => /support sizes ([\d,]+)/.exec(lines.find((l) => l.startsWith(`   ${name} (`)) ?? '')?.[1];
    t.equal(supports('softmax'), '6,6,6,6,6,6');
    t.equal(supports('sparsemax'), '1,1,1,1,1,1');
    t.equal(supports('entmax15'), '1,1,1,1,1,1');

    // Structured: a sum of two +-1 letters, halved, has pixels -1, 0 or 1 only; where both letters were shown exactly, it is their mean.
    const structured = blocks.slice(-2);
    for (const { grids } of structured) {
      for (const [title, grid] of grids) if (/out\/2|k-sub\/2|seq\/2/.test(title)) t.ok(grid.every((v) => v === -1 || v === 0 || v === 1), `${title}: a halved sum of two letters`);
    }
    t.match(r.stdout, /3\/3 pairs recalled exactly as the sum of their two letters/);
    const order = (/stored order ((?:[A-Z] ?)+)$/m.exec(r.stdout)?.[1] ?? '').trim().split(' ');
    t.same(order, ['A', 'C', 'H', 'L', 'T', 'X']);
    const table = lines.slice(lines.findIndex((l) => l.startsWith('   cue   k-subsets')) + 1).slice(0, 6).map((l) => l.trim().split(/\s+/));
    let compared = 0;
    for (const [letter, free, chain] of table) {
      for (const [selection, suffix] of [[free, 'k-sub/2'], [chain, 'seq/2']]) {
        const chosen = selection.split('+');
        t.equal(chosen.length, 2, `${letter}: two letters selected`);
        if (suffix === 'seq/2') t.equal(Math.abs(order.indexOf(chosen[0]) - order.indexOf(chosen[1])), 1, `${letter}: ${selection} are neighbours in the stored order`);
        const grid = structured[1].grids.get(`${letter} ${suffix}`);
        if (!grid || !chosen.every((c) => exact.has(c))) continue;
        t.same(grid, exact.get(chosen[0])!.map((v, i) => (v + exact.get(chosen[1])![i]) / 2), `${letter} ${suffix} = (${chosen.join(' + ')}) / 2`);
        compared++;
      }
    }
    t.ok(compared >= 2, `${compared} structured states compared with the exact letters`);
    t.match(r.stdout, /12\/12 final states are exactly the sum of 2 stored letters/);

    // Capacity: a mean overlap in [-1, 1] per rule and load.
    const capacity = lines.filter((l) => /^ {3}(hebbian|storkey|pseudoinverse) +[-\d.]+( +[-\d.]+){4}$/.test(l));
    t.equal(capacity.length, 3);
    for (const l of capacity) t.ok(l.trim().split(/\s+/).slice(1).map(Number).every((v) => v >= -1 && v <= 1), l);
  }
  const [first, ...others] = Object.values(outputs);
  for (const other of others) {
    const strip = (lines: string[]) => lines.slice(1).filter((l) => !l.startsWith('Pictures: '));
    t.same(strip(other.lines), strip(first.lines), 'the same text on both backends');
    for (const [name, svg] of first.pictures) t.equal(other.pictures.get(name), svg, `${name}: the same picture on both backends`);
  }
});

t.test('info: backend, binary and versions', async (t) => {
  const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  for (const backend of backendsUnderTest()) {
    const r = sshn(['info'], backend);
    t.equal(r.status, 0, r.stderr);
    const info = JSON.parse(r.stdout) as Record<string, unknown>;
    t.equal(info.sshn, version);
    t.equal(info.node, process.version);
    t.equal(info.napi, process.versions.napi);
    t.equal(info.platform, `${process.platform}-${process.arch}`);
    t.equal(info.active, backend);
    t.equal(typeof info.nativeAvailable, 'boolean');
    if (info.nativeAvailable) {
      t.ok(typeof info.nativeBinary === 'string' && fs.existsSync(info.nativeBinary) && info.nativeBinary.endsWith('.node'), `binary ${info.nativeBinary}`);
      t.match(info.gemmKernel, /^(baseline|avx2|avx512)$/);
    }
  }
});

/** The Markdown tables of a report: header cells and rows of cells. */
function markdownTables(text: string): { header: string[]; rows: string[][] }[] {
  const tables: { header: string[]; rows: string[][] }[] = [];
  const lines = text.split('\n');
  const cells = (line: string) => line.slice(2, -2).split(' | ');
  for (let i = 0; i + 1 < lines.length; i++) {
    if (!lines[i].startsWith('| ') || !/^\| ---( \| ---)* \|$/.test(lines[i + 1])) continue;
    const header = cells(lines[i]);
    const rows: string[][] = [];
    for (i += 2; i < lines.length && lines[i].startsWith('| '); i++) rows.push(cells(lines[i]));
    tables.push({ header, rows });
  }
  return tables;
}

t.test('bench: Markdown tables of the binary and memory benchmarks', { timeout: 300000 }, async (t) => {
  const binary = sshn(['bench', '--sizes', '32', '--runs', '1']);
  t.equal(binary.status, 0, binary.stderr);
  t.match(binary.stdout, /^## Binary Hopfield/m);
  const [timings, sweeps] = markdownTables(binary.stdout);
  t.same(timings.header.slice(0, 2), ['task', 'N']);
  t.equal(timings.rows.length, 5, 'store with three rules, recall a batch and one cue');
  t.ok(timings.rows.every((r) => r.length === timings.header.length && r[1] === '32'));
  const native = timings.header.indexOf('native ms');
  const js = timings.header.indexOf('js ms');
  t.ok(js > 0, 'js timings');
  t.ok(timings.rows.every((r) => Number(r[js]) > 0 && (native < 0 || Number(r[native]) > 0)), 'positive timings');
  t.equal(sweeps.rows.length, native > 0 ? 2 : 1, 'a sweep row per backend');

  const memory = sshn(['bench', '--memory', '--patterns', '200', '--runs', '1']);
  t.equal(memory.status, 0, memory.stderr);
  t.match(memory.stdout, /^## Hopfield memories: time per update of 256 queries x 200 patterns x 784/m);
  const [table] = markdownTables(memory.stdout);
  t.same(table.header.slice(0, 3), ['dtype', 'transform', 'mean support']);
  t.equal(table.rows.length, 8, 'two precisions x four transforms');
  for (const row of table.rows) {
    t.equal(row.length, table.header.length);
    const support = Number(row[2]);
    // softmax never gives a zero weight; the capped simplex of k-subsets (sum 4, entries <= 1) needs >= 4 nonzeros.
    if (row[1] === 'softmax') t.equal(support, 200, `${row[0]} softmax keeps every pattern`);
    else if (row[1] === 'kSubsets k=4') t.ok(support >= 4 && support <= 200, `${row[0]} k-subsets support ${support}`);
    else t.ok(support >= 1 && support <= 200, `${row[0]} ${row[1]} support ${support}`);
    t.ok(Number(row[table.header.indexOf('GFLOP/s')]) > 0, 'a throughput');
    const updates = Number(row[table.header.indexOf('updates')]);
    t.ok(updates >= 1 && updates <= 5, `${row[0]} ${row[1]}: ${updates} updates per query`);
  }
});

t.test('mistakes exit 2 with one line naming the problem', async (t) => {
  const cases: [string[], RegExp, string?][] = [
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['demo', '--bogus'], /unknown option '--bogus' for 'demo'/],
    [['demo', '--out'], /option --out needs a value/],
    [['demo', 'extra'], /unknown argument 'extra' for 'demo'/],
    [['constructor'], /unknown command 'constructor'/],
    [['__proto__'], /unknown command '__proto__'/],
    [['demo', 'toString', 'x'], /unknown argument 'toString' for 'demo'/],
    [['info', '--out', 'x'], /unknown option '--out' for 'info'/],
    [['bench', '--runs', '0'], /--runs must be an integer >= 1, got '0'/],
    [['bench', '--runs', '1.5'], /--runs must be an integer >= 1, got '1.5'/],
    [['bench', '--runs', '2', '--runs', '3'], /option --runs given twice/],
    [['bench', '--sizes', '64,x'], /--sizes must be a comma-separated list of integers >= 2, got '64,x'/],
    [['bench', '--sizes', '1'], /--sizes must be a comma-separated list of integers >= 2, got '1'/],
    [['bench', '--patterns', '100'], /--patterns needs --memory/],
    [['bench', '--memory', '--sizes', '64'], /--sizes is for the binary benchmark/],
    [['bench', '--memory', '--patterns', '5'], /--patterns must be an integer >= 10, got '5'/],
    [['info'], /SSHN_BACKEND must be 'js' or 'native', got 'bogus'/, 'bogus'],
  ];
  for (const [args, message, backend] of cases) {
    const r = sshn(args, backend);
    t.equal(r.status, 2, `${backend ? `SSHN_BACKEND=${backend} ` : ''}${args.join(' ')}`);
    t.equal(r.stdout, '', 'nothing on stdout');
    t.equal(r.stderr.trimEnd().split('\n').length, 1, 'one line');
    t.match(r.stderr, message);
    t.match(r.stderr, /^sshn: .* \(run 'sshn help' for usage\)\n$/);
  }
  for (const args of [['help'], ['--help'], []]) {
    const r = sshn(args);
    t.equal(r.status, 0, `${args.join(' ') || '(no command)'} prints the usage`);
    t.match(r.stdout, /^usage: sshn <command>/);
    t.match(r.stdout, /bench --memory/);
  }
});
