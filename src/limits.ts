// Up-front size limits: a request that would need more memory than allowed is refused with a
// RangeError naming the size, instead of failing inside an allocation.
// validate.ts imports checkAllocation from here; the cycle is safe as both only call each other later.
import { checkInteger, checkOptions } from './validate';

const limits = {
  /** Largest single buffer the library will allocate, in bytes. */
  maxBytes: 4 * 2 ** 30,
};

/**
 * The allocation limit in force.
 *
 * @example
 * ```ts
 * getLimits().maxBytes; // 4294967296
 * ```
 */
export function getLimits(): { maxBytes: number } {
  return { ...limits };
}

/**
 * Raises or lowers the allocation limit (bytes).
 *
 * @example
 * ```ts
 * setLimits({ maxBytes: 16 * 2 ** 30 }); // allow up to 16 GiB per buffer
 * ```
 */
export function setLimits(update: { maxBytes?: number }): void {
  if (update === undefined) throw new TypeError('update must be an object { maxBytes }, got undefined');
  const u = checkOptions(update, 'update', ['maxBytes']);
  if (u.maxBytes !== undefined) limits.maxBytes = checkInteger(u.maxBytes, 'update.maxBytes', 1);
}

function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} bytes` : `${value.toFixed(1)} ${units[unit]}`;
}

/** Throws a RangeError when `elements * bytesPerElement` exceeds the limit. */
export function checkAllocation(what: string, elements: number, bytesPerElement: number): void {
  const bytes = elements * bytesPerElement;
  if (!(bytes <= limits.maxBytes) || !Number.isSafeInteger(elements)) {
    throw new RangeError(`${what} would need ${formatBytes(bytes)}, above the limit of ${formatBytes(limits.maxBytes)} (see setLimits)`);
  }
}

/** A zeroed Float64Array of `length` entries, after checkAllocation(what, length, 8). */
export function checkedFloat64Array(what: string, length: number): Float64Array {
  checkAllocation(what, length, 8);
  return new Float64Array(length);
}
