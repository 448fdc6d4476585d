// Shared test helpers: the backends to run against, and exact comparisons.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { availableBackends, BackendName, Rng } from '../src/index';
import type { LatentHopfieldWeights } from '../src/index';

/** Both backends; the native one must load unless SSHN_BACKEND=js restricts the run. */
export function backendsUnderTest(): BackendName[] {
  if (process.env.SSHN_BACKEND === 'js') return ['js'];
  const available = availableBackends();
  if (!available.includes('native')) throw new Error('the native addon did not load; build it (npm install) or set SSHN_BACKEND=js');
  return ['native', 'js'];
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? (Number.isNaN(a[i]) && Number.isNaN(b[i]) ? m : Infinity) : d;
  }
  return m;
}

/** A standalone SVG document whose tags are closed in order, with no repeated attribute and escaped text. */
export function wellFormedSvg(svg: string): boolean {
  if (!svg.startsWith('<svg') || !svg.trimEnd().endsWith('</svg>')) return false;
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)([^>]*?)(\/?)>/g)) {
    const [, closing, name, attrs, selfClosing] = m;
    const names = [...attrs.matchAll(/([a-zA-Z-:]+)="/g)].map((a) => a[1]);
    if (new Set(names).size !== names.length) return false;
    if (closing) {
      if (stack.pop() !== name) return false;
    } else if (!selfClosing) stack.push(name);
  }
  const text = svg.replace(/<[^>]*>/g, '');
  return stack.length === 0 && !/[<>]/.test(text) && !/&(?!(lt|gt|amp|quot|apos);)/.test(text);
}

/** Seeded random latent Hopfield weights (symmetric W_hh, roughly unit-scaled layers). */
export function randomLatentWeights(d: number, h: number, n: number, seed: number): LatentHopfieldWeights {
  const rng = new Rng(seed);
  const r = (k: number, s: number) => Array.from({ length: k }, () => s * rng.normal());
  const whh = new Array<number>(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) whh[i * n + j] = whh[j * n + i] = rng.normal() / Math.sqrt(n);
  return {
    encoder: { w1: r(h * d, 1 / Math.sqrt(d)), b1: r(h, 0.1), w2: r(n * h, 1 / Math.sqrt(h)), b2: r(n, 0.1) },
    decoder: { w1: r(h * n, 1 / Math.sqrt(n)), b1: r(h, 0.1), w2: r(d * h, 1 / Math.sqrt(h)), b2: r(d, 0.1) },
    wih: r(n * n, 1 / Math.sqrt(n)),
    whh,
    inputDim: d,
    hiddenDim: h,
    latentDim: n,
  };
}

/** One loop's RSS growth (MiB): the median of three windows, and the windows for the test's message. */
export interface LeakGrowth {
  growth: number;
  windows: number[];
}

/** RSS growth per part over `small` small calls and `large` large async calls, from scripts/leak-check.js in a child process. */
export function leakGrowth(backend: BackendName, parts: string[], small: number, large: number): Record<string, { small: LeakGrowth; large: LeakGrowth }> {
  const script = path.join(__dirname, '..', 'scripts', 'leak-check.js');
  const args = ['--expose-gc', '--max-semi-space-size=1', script, '--small', String(small), '--large', String(large), '--only', parts.join(',')];
  // Through `env -u`, because tap wraps spawn to put its process tracker (--import) back into
  // NODE_OPTIONS; with it loaded, RSS grew 4-9 MiB over 400 async memory calls and settled later.
  const r = spawnSync('env', ['-u', 'NODE_OPTIONS', process.execPath, ...args], { env: { ...process.env, SSHN_BACKEND: backend }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`leak-check failed: ${r.stderr}`);
  type Loops<T> = Record<string, { small: T; large: T }>;
  const report = JSON.parse(r.stdout.trim().split('\n').pop() as string) as { growthMiB: Loops<number>; windowsMiB: Loops<number[]> };
  return Object.fromEntries(
    Object.entries(report.growthMiB).map(([part, g]) => [
      part,
      { small: { growth: g.small, windows: report.windowsMiB[part].small }, large: { growth: g.large, windows: report.windowsMiB[part].large } },
    ]),
  );
}

/** "1.2 MiB (windows 1.0, 1.2, 3.4)" */
export function describeGrowth(g: LeakGrowth): string {
  return `${g.growth.toFixed(1)} MiB (windows ${g.windows.map((w) => w.toFixed(1)).join(', ')})`;
}

/** How a child Node.js process ended: its exit code or the signal that killed it, and its output. */
export interface ChildOutcome {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `code` (CommonJS, `sshn` bound to the compiled package in lib/) in a fresh Node.js process
 * with --expose-gc, under `shell` (e.g. 'ulimit -v 8000000') when given: for repros that could
 * take the process down.
 */
export function runChild(code: string, options: { env?: Record<string, string>; shell?: string; timeout?: number } = {}): ChildOutcome {
  const lib = path.join(__dirname, '..', 'lib', 'index.js');
  const script = `const sshn = require(${JSON.stringify(lib)});\n${code}`;
  const node = [process.execPath, '--expose-gc', '-e', script];
  const command = options.shell ? ['bash', '-c', `${options.shell}; exec "$@"`, 'bash', ...node] : node;
  const r = spawnSync(command[0], command.slice(1), {
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
    timeout: options.timeout ?? 120_000,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** "exit 0" / "signal SIGSEGV", with the end of stderr, for a test's message. */
export function describeChild(r: ChildOutcome): string {
  const how = r.signal ? `signal ${r.signal}` : `exit ${r.status}`;
  const tail = r.stderr.trim().split('\n').slice(-3).join(' | ');
  return tail ? `${how} (${tail})` : how;
}
