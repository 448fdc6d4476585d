// Timing helpers shared by the benchmarks: medians over several runs, never a single sample.
'use strict';

/** Median wall time in milliseconds of `runs` calls of fn (after one warm-up call). */
function medianMs(fn, runs = 5) {
  fn();
  const times = [];
  for (let r = 0; r < runs; r++) {
    const start = process.hrtime.bigint();
    fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Same for an async function. */
async function medianMsAsync(fn, runs = 5) {
  await fn();
  const times = [];
  for (let r = 0; r < runs; r++) {
    const start = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Prints rows (objects with the same keys) as a Markdown table. */
function printTable(rows) {
  if (rows.length === 0) return;
  const keys = Object.keys(rows[0]);
  const cell = (v) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(3)) : String(v));
  console.log(`| ${keys.join(' | ')} |`);
  console.log(`| ${keys.map(() => '---').join(' | ')} |`);
  for (const row of rows) console.log(`| ${keys.map((k) => cell(row[k])).join(' | ')} |`);
}

module.exports = { medianMs, medianMsAsync, printTable };
