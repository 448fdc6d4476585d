// Hopfield-Fenchel-Young memories: time per update of a batch of 256 queries against N = 60 000 patterns
// of D = 784 (MNIST-sized), float32 and float64, as a fraction of this machine's matrix-multiply
// peak (see memoryBenchmark in src/bench.ts). Pure TS is timed on N = 6 000 and scaled by 10.
// Usage: npx tsc -p . && node bench/memory.js [--quick] [--no-js]   (--quick: N = 6 000, no pure TS;
// --no-js: native only)
'use strict';
const { memoryBenchmark, printTable } = require('../lib/bench');

const quick = process.argv.includes('--quick');
const { title, rows } = memoryBenchmark({ patterns: quick ? 6000 : 60000, js: !quick && !process.argv.includes('--no-js') });
console.log(`## ${title}\n`);
printTable(rows);
