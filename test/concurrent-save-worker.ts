// Worker of the concurrent-save test in test/model-file.test.ts: in each round it waits for the
// other workers at a barrier (so their saves start within microseconds), saves its own bytes with
// writeFileAtomic, and reads the file back, which must be one of the candidates in full.
import * as fs from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { writeFileAtomic } from '../src/io/files';

const { file, index, candidates, rounds, parties, barrier } = workerData as {
  file: string; index: number; candidates: Uint8Array[]; rounds: number; parties: number; barrier: SharedArrayBuffer;
};
// Slot 0 counts arrivals, slot 1 is the number of rounds everyone has reached.
const control = new Int32Array(barrier);

function arrive(round: number): void {
  if (Atomics.add(control, 0, 1) + 1 === parties * (round + 1)) {
    Atomics.store(control, 1, round + 1);
    Atomics.notify(control, 1);
  } else {
    while (Atomics.load(control, 1) === round) Atomics.wait(control, 1, round);
  }
}

const errors: string[] = [];
let torn = 0;
for (let round = 0; round < rounds; round++) {
  arrive(round);
  try {
    writeFileAtomic(file, candidates[index]);
  } catch (error) {
    errors.push((error as Error).message);
  }
  const read = fs.readFileSync(file);
  if (!candidates.some((c) => read.equals(c))) torn++;
}
parentPort!.postMessage({ errors, torn });
