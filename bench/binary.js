// Classical binary Hopfield networks, native vs pure TypeScript: storing p = 0.1 N random patterns
// and recalling from 10%-noise cues, at N = 256, 1024, 4096. Build first: npx tsc -p .
'use strict';
const { binaryBenchmark, printTable } = require('../lib/bench');

const sizes = (process.env.BENCH_SIZES || '256,1024,4096').split(',').map(Number);
const runs = Number(process.env.BENCH_RUNS || 5);
const { timings, sweeps } = binaryBenchmark({ sizes, runs });
console.log(`## Binary Hopfield (p = 0.1 N, cues with 10% flipped bits; median of ${runs} runs)\n`);
printTable(timings);
console.log('\n## One asynchronous sweep from a random state vs one read of the weight matrix\n');
printTable(sweeps);
