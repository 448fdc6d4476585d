// The published package: `npm pack` ships only what users need, and the tarball installs offline
// into an empty project (a) using the prebuilt binary without compiling, (b) compiling from source
// when there is no prebuild, (c) falling back to pure TypeScript with one notice line when
// install scripts are disabled and no binary exists; from require and import, with types.
import t from 'tap';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.join(__dirname, '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const prebuildDir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
const nativeUnderTest = process.env.SSHN_BACKEND !== 'js';

function run(cmd: string, args: string[], cwd: string, env: Record<string, string | undefined> = {}) {
  // npm is a .cmd script on Windows, which only runs through a shell.
  const r = spawnSync(cmd, args, { cwd, env: { ...process.env, SSHN_BACKEND: undefined, ...env }, encoding: 'utf8', shell: process.platform === 'win32' && cmd === npm });
  return { status: r.status, stdout: (r.stdout ?? '').trim(), stderr: (r.stderr ?? '').trim() };
}

const probe = "const s = require('sshn'); const n = new s.BinaryHopfield(4).store([[1,-1,1,-1]]); console.log(s.backend, s.backendInfo().nativeBinary || '-', n.recall([1,-1,1,1]).state.join(','));";

t.test('npm pack ships lib, prebuilds, native sources, Eigen, binding.gyp, README and licences only', { timeout: 300000 }, async (t) => {
  if (nativeUnderTest && !fs.existsSync(prebuildDir)) execFileSync(npm, ['run', 'prebuildify'], { cwd: root, stdio: 'ignore', shell: process.platform === 'win32' });
  const dest = t.testdir();
  const out = execFileSync(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', dest], { cwd: root, encoding: 'utf8', shell: process.platform === 'win32' });
  const info = JSON.parse(out)[0] as { filename: string; files: { path: string }[] };
  const files = info.files.map((f) => f.path);
  const allowed = /^(lib\/.+\.(js|d\.ts)|prebuilds\/[^/]+\/[^/]+\.node|native\/(core|addon)\/[^/]+\.(cpp|hpp)|native\/vendor\/eigen\/.+|binding\.gyp|package\.json|README\.md|LICENSE)$/;
  t.same(files.filter((f) => !allowed.test(f)), [], 'nothing else');
  for (const needed of ['lib/index.js', 'lib/index.d.ts', 'lib/cli.js', 'binding.gyp', 'LICENSE', 'README.md', 'native/vendor/eigen/COPYING.MPL2', 'native/addon/addon.cpp']) {
    t.ok(files.includes(needed), needed);
  }
  if (nativeUnderTest) t.ok(files.some((f) => f.startsWith(`prebuilds/${process.platform}-${process.arch}/`)), 'this platform\'s prebuild');
  t.notOk(files.some((f) => f.startsWith('test/') || f.startsWith('bench/') || f.startsWith('src/')), 'no tests, benchmarks or sources');
  const tarball = path.join(dest, info.filename);

  const project = (name: string) => {
    const dir = path.join(dest, name);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `consumer-${name}`, version: '1.0.0', private: true }));
    return dir;
  };
  // An offline install resolves the dependency ranges from npm's cache, which `npm ci` fills with
  // tarballs but not with the registry metadata; add both while the registry is reachable.
  const deps = Object.entries((JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies);
  run(npm, ['cache', 'add', ...deps.map(([name, range]) => `${name}@${range}`)], root);
  const install = (dir: string, extra: string[] = []) =>
    run(npm, ['install', '--offline', '--no-audit', '--no-fund', ...extra, tarball], dir);

  if (nativeUnderTest) {
    t.test('(a) the prebuilt binary loads without compiling', async (t) => {
      const dir = project('prebuilt');
      const r = install(dir);
      t.equal(r.status, 0, r.stderr);
      t.notOk(fs.existsSync(path.join(dir, 'node_modules', 'sshn', 'build')), 'nothing compiled');
      const used = run(process.execPath, ['-e', probe], dir, { PREBUILDS_ONLY: '1' });
      t.match(used.stdout, /^native .*prebuilds.*\.node 1,-1,1,-1$/, used.stderr);
      t.equal(used.stderr, '');
      // import from ESM, with named exports.
      // The command line through the installed bin link.
      const cli = run(npm, ['exec', '--offline', '--', 'sshn', 'info'], dir);
      t.equal(cli.status, 0, cli.stderr);
      const info = JSON.parse(cli.stdout) as { active: string; nativeBinary: string };
      t.equal(info.active, 'native', 'sshn info: native');
      t.match(info.nativeBinary, /node_modules[\\/]sshn[\\/]prebuilds[\\/]/, 'sshn info: the installed prebuild');
      const esm = run(process.execPath, ['--input-type=module', '-e', "import { BinaryHopfield, backend } from 'sshn'; console.log(backend, new BinaryHopfield(3).n);"], dir);
      t.equal(esm.stdout, 'native 3', esm.stderr);
      // Types: a TypeScript consumer type-checks against the shipped declarations.
      fs.writeFileSync(path.join(dir, 'use.ts'), "import { BinaryHopfield, RecallResult } from 'sshn';\nconst r: RecallResult = new BinaryHopfield(4).recall([1, -1, 1, -1]);\nconst bad: string = r.sweeps;\nexport { bad };\n");
      const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
      const check = run(process.execPath, [tsc, '--noEmit', '--strict', '--module', 'node16', '--moduleResolution', 'node16', '--types', 'node', '--typeRoots', path.join(root, 'node_modules', '@types'), 'use.ts'], dir);
      t.match(check.stdout, /use\.ts\(3,7\): error TS2322: Type 'number' is not assignable to type 'string'/, 'types are checked (one deliberate error)');
      t.equal(check.stdout.split('\n').filter((l) => l.includes('error')).length, 1, check.stdout);
    });

    t.test('(b) without a prebuild it compiles from source', async (t) => {
      const dir = project('source');
      t.equal(install(dir, ['--ignore-scripts']).status, 0);
      fs.rmSync(path.join(dir, 'node_modules', 'sshn', 'prebuilds'), { recursive: true, force: true });
      const rebuilt = run(npm, ['rebuild', 'sshn', '--offline'], dir);
      t.equal(rebuilt.status, 0, rebuilt.stderr);
      t.ok(fs.existsSync(path.join(dir, 'node_modules', 'sshn', 'build', 'Release', 'sshn.node')), 'compiled');
      const used = run(process.execPath, ['-e', probe], dir);
      t.match(used.stdout, /^native .*build[\\/]Release[\\/]sshn\.node 1,-1,1,-1$/, used.stderr);
    });
  }

  t.test('(c) scripts disabled and no binary: pure TypeScript with one notice line', async (t) => {
    const dir = project('fallback');
    t.equal(install(dir, ['--ignore-scripts']).status, 0);
    fs.rmSync(path.join(dir, 'node_modules', 'sshn', 'prebuilds'), { recursive: true, force: true });
    const used = run(process.execPath, ['-e', probe], dir);
    t.equal(used.stdout, 'js - 1,-1,1,-1');
    t.equal(used.stderr.split('\n').length, 1);
    t.match(used.stderr, /^sshn: native addon not available .*; using the pure TypeScript backend$/);
    const esm = run(process.execPath, ['--input-type=module', '-e', "import sshn from 'sshn'; console.log(sshn.backend);"], dir);
    t.equal(esm.stdout, 'js');
  });
});
