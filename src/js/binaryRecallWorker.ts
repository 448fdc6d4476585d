// Worker side of binaryThreads.ts: takes items of each job until none are left, then reports.
import { parentPort } from 'worker_threads';
import { NetworkData } from '../kernels';
import { binaryRecallItems } from './binaryHopfield';
import { claimItem, Control, finishItem, RecallJob } from './binaryThreads';

let held: { id: number; net: NetworkData } | null = null;

parentPort?.on('message', (job: RecallJob) => {
  const { control } = job;
  try {
    if (job.net) held = { id: job.netId, net: job.net };
    if (held && held.id === job.netId) {
      binaryRecallItems(held.net, job.cues, job.count, job.params, job.out, () => claimItem(job), (item) => finishItem(job, item));
    }
  } catch {
    // The calling thread redoes the unfinished items and reports the error, if any, itself.
  }
  Atomics.add(control, Control.WorkersDone, 1);
  Atomics.notify(control, Control.Finished);
});
