// `npm run bench`: every benchmark in this folder, one after the other.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const only = process.argv.slice(2);
const scripts = fs.readdirSync(__dirname)
  .filter((f) => f.endsWith('.js') && !['run.js', 'harness.js'].includes(f))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)));
console.log(`# sshn benchmarks (${new Date().toISOString().slice(0, 10)}, node ${process.version})\n`);
for (const script of scripts) {
  execFileSync(process.execPath, [path.join(__dirname, script)], { stdio: 'inherit' });
  console.log('');
}
