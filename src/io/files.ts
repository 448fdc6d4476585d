// File access shared by every reader and writer of the library (model files, safetensors, IDX, CLI
// outputs). Reads take regular files only, checked on the opened descriptor (no race with a rename),
// and no more bytes than getLimits().maxBytes: /dev/zero or a FIFO is an error, not an endless read
// or a wait. Writes are atomic: the bytes go to a temporary file of a name unique to the call (process, thread
// and random bytes, created exclusively), which is written in full, fsynced and renamed over the
// target (then the directory is fsynced where the platform allows), so a crash or a concurrent
// writer never leaves half a file.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { threadId } from 'node:worker_threads';
import { checkAllocation } from '../limits';

/** A reader's own error class (ModelFileError, SafetensorsError, IdxError). */
export type ReaderError = new (message: string) => Error;

/** Opened without blocking, so that a FIFO with no writer is refused instead of waited on (no effect on regular files). */
const OPEN_FOR_READING = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

function kindOf(stats: fs.Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Opens a regular file for reading and gives its descriptor and size, or throws: `Failure` naming
 * the file when it is not a regular file. The caller closes the descriptor.
 */
export function openRegularFile(path: string, Failure: ReaderError): { fd: number; size: number } {
  if (typeof path !== 'string' || path === '') throw new TypeError(`path must be a non-empty string, got ${typeof path === 'string' ? "''" : typeof path}`);
  const fd = fs.openSync(path, OPEN_FOR_READING);
  try {
    const stats = fs.fstatSync(fd);
    if (!stats.isFile()) throw new Failure(`cannot read ${path}: it is ${kindOf(stats)}, not a regular file`);
    return { fd, size: stats.size };
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
}

/** fn(), with the reader's errors of parsing prefixed by the file's name (as those of opening and reading are). */
export function namingFile<T>(path: string, Failure: ReaderError, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    const prefix = `cannot read ${path}: `;
    if (error instanceof Failure && !error.message.startsWith(prefix)) throw new Failure(prefix + error.message);
    throw error;
  }
}

/** Fills `buffer` from `fd` at `position`; `Failure` naming the file if it ends first. */
export function readFully(fd: number, buffer: Uint8Array, position: number, path: string, Failure: ReaderError): void {
  let done = 0;
  while (done < buffer.length) {
    const got = fs.readSync(fd, buffer, done, buffer.length - done, position + done);
    if (got === 0) throw new Failure(`cannot read ${path}: it ended at byte ${position + done}, before the ${position + buffer.length} its size promised (changed while read?)`);
    done += got;
  }
}

/**
 * The whole of a regular file: `Failure` naming the file when it is not one or changes size while
 * read, a RangeError naming it when it is larger than getLimits().maxBytes.
 */
export function readRegularFile(path: string, Failure: ReaderError): Buffer {
  const { fd, size } = openRegularFile(path, Failure);
  try {
    checkAllocation(`reading ${path}`, size, 1);
    const bytes = Buffer.allocUnsafe(size);
    readFully(fd, bytes, 0, path, Failure);
    if (fs.readSync(fd, Buffer.alloc(1), 0, 1, size) !== 0) throw new Failure(`cannot read ${path}: it grew while read`);
    return bytes;
  } finally {
    fs.closeSync(fd);
  }
}

/** Test seams of {@link writeFileAtomic}: the most bytes one write call may take, and the rename. @internal */
export interface WriteSeams {
  chunkBytes?: number;
  rename?: (from: string, to: string) => void;
}

/** Errors of fsync on a directory that mean the platform cannot do it (e.g. Windows), not that it failed. */
const NO_DIRECTORY_SYNC = new Set(['EISDIR', 'EPERM', 'EINVAL', 'ENOTSUP', 'EBADF', 'EACCES']);

/** Makes the rename itself durable; skipped where directories cannot be opened or synced. */
function syncDirectory(dir: string): void {
  let fd: number;
  try {
    fd = fs.openSync(dir, 'r');
  } catch {
    return;
  }
  try {
    fs.fsyncSync(fd);
  } catch (error) {
    if (!NO_DIRECTORY_SYNC.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    fs.closeSync(fd);
  }
}

/** A name next to `target` no other call uses: threads of one process share the pid and the clock. */
function temporaryName(target: string): string {
  return `${target}.tmp-${process.pid}-${threadId}-${randomBytes(8).toString('hex')}`;
}

/** Replaces the file at `path` by `bytes` (a string is written as UTF-8) atomically. */
export function writeFileAtomic(path: string, bytes: Uint8Array | string, seams: WriteSeams = {}): void {
  if (typeof path !== 'string' || path === '') throw new TypeError('path must be a non-empty string');
  const data = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  const target = nodePath.resolve(path);
  const temporary = temporaryName(target);
  const chunk = seams.chunkBytes ?? 1 << 30;
  // 'wx' (O_EXCL): never write into a file someone else created, even under a colliding name.
  const fd = fs.openSync(temporary, 'wx', 0o644);
  try {
    // writeSync may write fewer bytes than asked (large buffers, signals): loop until all are written.
    let offset = 0;
    while (offset < data.length) {
      const written = fs.writeSync(fd, data, offset, Math.min(chunk, data.length - offset));
      if (!(written > 0)) throw new Error(`writing ${temporary} made no progress at byte ${offset} of ${data.length}`);
      offset += written;
    }
    fs.fsyncSync(fd);
  } catch (error) {
    fs.closeSync(fd);
    fs.rmSync(temporary, { force: true });
    throw error;
  }
  fs.closeSync(fd);
  try {
    (seams.rename ?? fs.renameSync)(temporary, target);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
  syncDirectory(nodePath.dirname(target));
}
