// Every exported function, constructor, static and instance method (and the methods of exported
// objects and functions: corrupt.halfMask, sparsemax.jvp, ...) called with junk in each argument and
// in each field of an options object: any error must be a TypeError or RangeError whose message names
// an argument (not "Cannot read properties", "is not iterable", "Invalid array length", ...), and no
// call may hang. The walk (junk-walk.ts) runs in a child process per backend, so that a call that
// hangs can be stopped and named: it prints "start <call>" before each call.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import t from 'tap';
import { backendsUnderTest } from './helpers';

/** A walk that prints nothing for this long is stuck in its last call. */
const SILENCE_MS = 60_000;

function walk(backend: string): Promise<{ lines: string[]; code: number | null; stuck: string | null; stderr: string }> {
  return new Promise((resolve) => {
    // The same TypeScript loader as this test (tap's --import flags).
    const child = spawn(process.execPath, [...process.execArgv, path.join(__dirname, 'junk-walk.ts'), backend], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let partial = '';
    let stderr = '';
    let stuck: string | null = null;
    let timer = setTimeout(() => {}, 0);
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        stuck = lines.filter((l) => l.startsWith('start ')).pop() ?? '(before the first call)';
        child.kill('SIGKILL');
      }, SILENCE_MS);
    };
    arm();
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() as string;
      lines.push(...parts);
      arm();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('close', (code) => {
      clearTimeout(timer);
      if (partial) lines.push(partial);
      resolve({ lines, code, stuck, stderr });
    });
  });
}

for (const backend of backendsUnderTest()) {
  t.test(`[${backend}] junk arguments get a TypeError or RangeError naming the argument, and no call hangs`, async (t) => {
    const { lines, code, stuck, stderr } = await walk(backend);
    t.equal(stuck, null, `no call hangs (silent for ${SILENCE_MS / 1000} s in: ${stuck})`);
    t.equal(code, 0, `the walk exits cleanly ${stderr.slice(-2000)}`);
    const done = lines.find((l) => l.startsWith('done '));
    const calls = done ? Number(done.slice(5)) : 0;
    // About 11 500 calls today: far fewer means the table lost entries.
    t.ok(calls > 10_000, `the walk made ${calls} calls`);
    const problems = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { call: string; problem: string });
    for (const p of problems) t.fail(`${p.call}: ${p.problem}`);
    t.equal(problems.length, 0, 'every entry point is in the walk and every error names an argument');
  });
}
