// File access shared by every reader and writer of the library (model files, safetensors, CLI outputs).
// Writes are atomic: the bytes go to a temporary file of a name unique to the call (process, thread
// and random bytes, created exclusively), which is written in full, fsynced and renamed over the
// target (then the directory is fsynced where the platform allows), so a crash or a concurrent
// writer never leaves half a file.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as nodePath from 'node:path';
import { threadId } from 'node:worker_threads';

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
