// Prints how much the resident set grows over a loop of small synchronous calls and of large
// async calls (run with --expose-gc). Usage: node --expose-gc scripts/leak-check.js [--small N] [--large M]
'use strict';
const path = require('node:path');
const sshn = require(path.join(__dirname, '..', 'lib'));

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const smallCalls = arg('--small', 1000000);
const largeCalls = arg('--large', 2000);

function rssMiB() {
  global.gc();
  global.gc();
  return process.memoryUsage().rss / 2 ** 20;
}

async function main() {
  const small = new sshn.BinaryHopfield(16).store(sshn.randomPatterns(2, 16, { seed: 1 }));
  const cue = sshn.randomPatterns(1, 16, { seed: 2 }).data;
  const smallLoop = (count) => {
    for (let i = 0; i < count; i++) small.recall(cue, { seed: i % 1000 });
  };
  smallLoop(Math.min(20000, smallCalls)); // warm up allocators and JIT
  const before = rssMiB();
  smallLoop(smallCalls);
  const smallGrowthMiB = rssMiB() - before;

  const n = 256;
  const large = new sshn.BinaryHopfield(n, { rule: 'storkey' }).store(sshn.randomPatterns(20, n, { seed: 3 }));
  const cues = sshn.randomPatterns(16, n, { seed: 4 });
  const largeLoop = async (count) => {
    for (let done = 0; done < count; done += 50) {
      await Promise.all(Array.from({ length: Math.min(50, count - done) }, (_, i) => large.recallBatchAsync(cues, { seed: done + i })));
    }
  };
  // The heap and the allocator settle at a working size first; a leak keeps growing after that.
  await largeLoop(largeCalls);
  const beforeLarge = rssMiB();
  await largeLoop(largeCalls);
  const largeGrowthMiB = rssMiB() - beforeLarge;
  console.log(JSON.stringify({ backend: sshn.backend, smallCalls, largeCalls, smallGrowthMiB, largeGrowthMiB }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
