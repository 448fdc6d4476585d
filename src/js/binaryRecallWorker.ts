// Worker side of binaryThreads.ts: takes items of each job until none are left, then reports.
import { parentPort } from 'worker_threads';
import { NetworkData } from '../kernels';
import { binaryRecallItems } from './binaryHopfield';
import { claimItem, finishItem, Helper, RecallJob, reportHelper } from './binaryThreads';

let held: { id: number; net: NetworkData } | null = null;
let current: RecallJob | null = null;

// Leaving mid-job (process.exit, an uncaught error) is reported, so that the calling thread stops
// waiting for this worker at once instead of after a stall.
process.on('exit', () => {
  if (current) reportHelper(current, Helper.Exited);
});

parentPort?.on('message', (job: RecallJob) => {
  current = job;
  Atomics.store(job.helpers, job.helper, Helper.Working);
  try {
    if (job.fault && job.fault !== 'none') injectFault(job);
    if (job.net) held = { id: job.netId, net: job.net };
    if (held && held.id === job.netId) {
      binaryRecallItems(held.net, job.cues, job.count, job.params, job.out, () => claimItem(job), (item) => finishItem(job, item));
    }
  } catch {
    // The calling thread redoes the unfinished items and reports the error, if any, itself.
  }
  current = null;
  reportHelper(job, Helper.Done);
});

/** Tests only (recallTestHooks.fault): fail after claiming an item, which is then left unfinished. */
function injectFault(job: RecallJob): void {
  claimItem(job);
  if (job.fault === 'exit') process.exit(1);
  if (job.fault === 'hang') for (;;);
  throw new Error('injected worker fault');
}
