// Worker side of binaryThreads.ts: takes items of each job until none are left, then reports.
import { parentPort } from 'worker_threads';
import { NetworkData } from '../kernels';
import { binaryRecallItems } from './binaryHopfield';
import { Control, RecallJob } from './binaryThreads';

let held: { id: number; net: NetworkData } | null = null;

parentPort?.on('message', (job: RecallJob) => {
  const { control, done, count } = job;
  try {
    if (job.net) held = { id: job.netId, net: job.net };
    if (held && held.id === job.netId) {
      binaryRecallItems(held.net, job.cues, count, job.params, job.out, () => Atomics.add(control, Control.Claimed, 1), (item) => {
        Atomics.store(done, item, 1);
        Atomics.add(control, Control.Finished, 1);
        Atomics.notify(control, Control.Finished);
      });
    }
  } catch {
    // The calling thread redoes the unfinished items and reports the error, if any, itself.
  }
  Atomics.add(control, Control.WorkersDone, 1);
  Atomics.notify(control, Control.Finished);
});
