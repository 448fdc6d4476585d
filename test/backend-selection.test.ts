// Backend selection in a fresh process: SSHN_BACKEND forces a backend; without a loadable binary
// the pure TypeScript backend is used with exactly one notice line.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkAddon, getBackend } from '../src/backend';
import { availableBackends } from '../src/index';

const root = path.join(__dirname, '..');
const probe = "const s = require('./lib'); const n = new s.BinaryHopfield(4); n.store([[1,-1,1,-1]]); new s.BinaryHopfield(3); console.log(s.backend + ' ' + n.recall([1,-1,1,1]).state.join(','));";

function run(cwd: string, env: Record<string, string | undefined>) {
  const result = spawnSync(process.execPath, ['-e', probe], { cwd, env: { ...process.env, ...env }, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout.trim(), stderr: result.stderr.trim() };
}

t.test('SSHN_BACKEND=js and =native select the backend, silently', async (t) => {
  const js = run(root, { SSHN_BACKEND: 'js' });
  t.equal(js.status, 0, js.stderr);
  t.equal(js.stdout, 'js 1,-1,1,-1');
  t.equal(js.stderr, '');
  if (process.env.SSHN_BACKEND !== 'js') {
    const native = run(root, { SSHN_BACKEND: 'native' });
    t.equal(native.stdout, 'native 1,-1,1,-1');
    t.equal(native.stderr, '');
  }
  const bad = run(root, { SSHN_BACKEND: 'gpu' });
  t.not(bad.status, 0);
  t.match(bad.stderr, /SSHN_BACKEND must be 'js' or 'native', got 'gpu'/);
});

t.test('without a binary: one notice line and the pure TypeScript backend; forcing native is an error', async (t) => {
  // A copy of the compiled package with no build/ and no prebuilds/.
  const dir = t.testdir({ 'package.json': fs.readFileSync(path.join(root, 'package.json'), 'utf8') });
  fs.cpSync(path.join(root, 'lib'), path.join(dir, 'lib'), { recursive: true });
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
  const fallback = run(dir, { SSHN_BACKEND: undefined });
  t.equal(fallback.status, 0, fallback.stderr);
  t.equal(fallback.stdout, 'js 1,-1,1,-1');
  const lines = fallback.stderr.split('\n');
  t.equal(lines.length, 1, 'exactly one line');
  t.match(lines[0], /^sshn: native addon not available \(.+\); using the pure TypeScript backend$/);
  const forced = run(dir, { SSHN_BACKEND: 'native' });
  t.not(forced.status, 0);
  t.match(forced.stderr, /SSHN_BACKEND=native but the native addon could not be loaded/);
});

t.test('a binary of another kernel interface version is refused, so the loader falls back with a notice', async (t) => {
  t.throws(() => checkAddon({ abiVersion: 1, binaryRecall() {} }), { message: /the native binary is stale \(kernel interface version 1, this code needs \d+\); rebuild it/ });
  t.throws(() => checkAddon({}), { message: /version undefined/ });
  t.throws(() => checkAddon(null), { message: /stale/ });
  if (availableBackends().includes('native')) {
    const native = getBackend('native') as unknown as { abiVersion: number };
    t.equal(checkAddon(native), native, 'the binary built from these sources passes');
  }
});
