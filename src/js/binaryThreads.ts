// Pure-TS batch recall on worker threads, as the native backend spreads a batch over its cores.
// The calling thread takes items too and blocks (Atomics.wait) until the batch is done, so the
// call stays synchronous. Workers share one copy of the network (SharedArrayBuffers, made once per
// network version) and claim items from a shared counter; each item's result depends on the item
// alone (binaryRecallItems), so every split gives the results of one thread, bit for bit.
import { existsSync } from 'fs';
import { availableParallelism } from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { NetworkData, RecallOutputs, RecallParams } from '../kernels';
import { binaryRecall, binaryRecallItems } from './binaryHopfield';

/** Slots of the control array. */
export enum Control { Claimed, Finished, WorkersDone }

/** Below this many multiply-adds (items x n^2) a batch runs on the calling thread: a worker's hand-off costs more. */
const MIN_WORK = 1 << 24;
/** A batch whose items stop finishing for this long is finished on the calling thread (a worker is stuck). */
const STALL_MS = 30_000;

/** A helper's state in its job's `helpers` array. */
export enum Helper { Waiting, Working, Done, Exited }

/** How a worker fails when a test injects it: an exception, process.exit, an endless loop, or not at all. */
export type WorkerFault = 'throw' | 'exit' | 'hang' | 'none';

/**
 * For tests only: with `fault` set, the next threaded batch waits for a worker to claim the first
 * item, which then fails that way ('none': it does not fail) and the fault is cleared; `stallMs` is
 * how long a batch waits for a worker that stops finishing items.
 */
export const recallTestHooks: { fault: WorkerFault | null; stallMs: number } = { fault: null, stallMs: STALL_MS };

export interface RecallJob {
  netId: number;
  /** Sent to a worker once per network version. */
  net?: NetworkData;
  cues: Int8Array;
  count: number;
  params: RecallParams;
  out: RecallOutputs;
  control: Int32Array;
  /** 1 once an item's result is written. */
  done: Uint8Array;
  /** Each helper's Helper state; `helper` is the receiving worker's index in it. */
  helpers: Int32Array;
  helper: number;
  fault?: WorkerFault;
}

/** Hands out the job's next item (count or more once none is left). */
export function claimItem(job: RecallJob): number {
  return Atomics.add(job.control, Control.Claimed, 1);
}

/** Marks an item's result written and wakes the calling thread. */
export function finishItem(job: RecallJob, item: number): void {
  Atomics.store(job.done, item, 1);
  Atomics.add(job.control, Control.Finished, 1);
  Atomics.notify(job.control, Control.Finished);
}

/** A worker is done with its job (state Done or Exited): it counts and wakes the calling thread. */
export function reportHelper(job: RecallJob, state: Helper.Done | Helper.Exited): void {
  Atomics.store(job.helpers, job.helper, state);
  Atomics.add(job.control, Control.WorkersDone, 1);
  Atomics.notify(job.control, Control.Finished);
}

type Shareable = Int8Array | Int16Array | Int32Array | Uint8Array | Float64Array;

function shared<T extends Shareable>(a: T): T {
  const copy = new (a.constructor as new (buffer: SharedArrayBuffer) => T)(new SharedArrayBuffer(a.byteLength));
  copy.set(a as never);
  return copy;
}

const sharedNets = new WeakMap<NetworkData, { id: number; net: NetworkData }>();
let lastNetId = 0;

/** The network on SharedArrayBuffers (a network object is replaced, never changed, when it is). */
function sharedNet(net: NetworkData): { id: number; net: NetworkData } {
  let entry = sharedNets.get(net);
  if (!entry) {
    const weights = shared(net.weights);
    entry = {
      id: ++lastNetId,
      net: {
        ...net, weights, weightsT: net.weightsT === net.weights ? weights : shared(net.weightsT),
        thresholds: net.thresholds && shared(net.thresholds), patternsT: net.patternsT && shared(net.patternsT),
      },
    };
    sharedNets.set(net, entry);
  }
  return entry;
}

type Slot = { worker: Worker; netId: number };
const pool: Slot[] = [];

/** Worker threads alive in the pool (for tests). */
export function recallWorkerCount(): number {
  return pool.length;
}

let running = 0;

/** Worker threads started and not yet exited, in the pool or not (for tests: a retired worker must stop). */
export function recallWorkersRunning(): number {
  return running;
}

const workerFile = path.join(__dirname, `binaryRecallWorker${path.extname(__filename)}`);

/** Out of the pool; stopped if still running (stuck in a job it will not finish). */
function retire(slot: Slot): void {
  const at = pool.indexOf(slot);
  if (at >= 0) pool.splice(at, 1);
  slot.worker.terminate().catch(() => {});
}

function workers(count: number): Slot[] {
  while (pool.length < count) {
    const worker = new Worker(workerFile);
    running++;
    worker.once('exit', () => running--);
    worker.unref();
    const slot = { worker, netId: 0 };
    const drop = () => {
      const at = pool.indexOf(slot);
      if (at >= 0) pool.splice(at, 1);
    };
    worker.on('error', drop);
    worker.on('exit', drop);
    pool.push(slot);
  }
  return pool.slice(0, count);
}

/** binaryRecall over params.threads threads (0: every core; never more than the cores) when the batch is large enough. */
export function threadedBinaryRecall(net: NetworkData, cues: Int8Array, count: number, params: RecallParams, out: RecallOutputs): void {
  const cores = availableParallelism();
  const threads = Math.min(count, cores, params.threads === 0 ? cores : params.threads);
  if (threads < 2 || count * net.n * net.n < MIN_WORK || !existsSync(workerFile)) {
    binaryRecall(net, cues, count, params, out);
    return;
  }
  let entry: { id: number; net: NetworkData };
  try {
    entry = sharedNet(net);
  } catch {
    binaryRecall(net, cues, count, params, out); // no memory for a shared copy: one thread
    return;
  }
  const { id, net: netShared } = entry;
  const job: RecallJob = {
    netId: id, cues: shared(cues), count, params,
    out: {
      states: shared(out.states), sweeps: shared(out.sweeps), status: shared(out.status),
      cycleLength: shared(out.cycleLength), energies: shared(out.energies),
    },
    control: new Int32Array(new SharedArrayBuffer(3 * 4)), done: new Uint8Array(new SharedArrayBuffer(count)),
    helpers: new Int32Array(new SharedArrayBuffer(4 * (threads - 1))), helper: 0, fault: recallTestHooks.fault ?? undefined,
  };
  recallTestHooks.fault = null;
  const helpers = workers(threads - 1);
  helpers.forEach((slot, helper) => {
    slot.worker.postMessage(slot.netId === id ? { ...job, helper } : { ...job, helper, net: netShared });
    slot.netId = id;
  });
  const { control, done } = job;
  // Tests only: with a fault injected, a worker claims (and leaves) an item before this thread starts.
  for (const start = Date.now(); job.fault && Atomics.load(control, Control.Claimed) === 0 && Date.now() - start < 10_000;) Atomics.wait(control, Control.Claimed, 0, 5);
  binaryRecallItems(net, job.cues, count, params, job.out, () => claimItem(job), (item) => finishItem(job, item));
  let seen = -1;
  let since = Date.now();
  let stalled = false;
  for (;;) {
    const now = Atomics.load(control, Control.Finished);
    if (now === count || Atomics.load(control, Control.WorkersDone) === helpers.length) break;
    if (now !== seen) {
      seen = now;
      since = Date.now();
    } else if (Date.now() - since > recallTestHooks.stallMs) {
      stalled = true; // a worker stuck in an item, or still busy with an earlier job it will not finish
      break;
    }
    Atomics.wait(control, Control.Finished, now, 100);
  }
  // Workers that exited go; stuck ones are stopped: a pool worker that never takes jobs again would
  // keep every job posted to it (and its shared buffers) queued.
  helpers.forEach((slot, k) => {
    const state = Atomics.load(job.helpers, k);
    if (state === Helper.Exited || (stalled && state !== Helper.Done)) retire(slot);
  });
  out.states.set(job.out.states);
  out.sweeps.set(job.out.sweeps);
  out.status.set(job.out.status);
  out.cycleLength.set(job.out.cycleLength);
  out.energies.set(job.out.energies);
  // Items a worker claimed but did not finish (it failed, died or is stuck): here, into the caller's
  // own buffers, which a stuck worker cannot write, with the same results.
  const left: number[] = [];
  for (let item = 0; item < count; item++) if (Atomics.load(done, item) === 0) left.push(item);
  if (left.length > 0) {
    let next = 0;
    binaryRecallItems(net, job.cues, count, params, out, () => (next < left.length ? left[next++] : count));
  }
}
