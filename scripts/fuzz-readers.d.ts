// Types of scripts/fuzz-readers.js for the tests that reuse its readers and mutators.
import type { Rng } from '../src/index';

export interface Reader {
  errors: (new (...args: never[]) => Error)[];
  seeds(): Uint8Array[];
  mutate(bytes: Uint8Array, rng: Rng, others: Uint8Array[]): Uint8Array;
  run(bytes: Uint8Array, rng?: Rng): string;
  /** The reader of files, e.g. BinaryHopfield.load. */
  readFile(file: string): unknown;
}
export const readers: Record<'safetensors' | 'model' | 'idx', Reader>;
/** 'ok' or the outcome class, and a finding (an undocumented error or a slow call) or null. */
export function runOne(reader: Reader, bytes: Uint8Array, rng?: Rng): { signature: string; finding: string | null };
/** The file readers on a directory, /dev/zero, a FIFO, a procfs file and files above a lowered size limit: the cases run and the findings. */
export function hostileFiles(): { cases: number; findings: string[] };
