// Corruptions of images with pixels in [-1, 1] (SPEC.md section 5). Noise is drawn in TypeScript
// from the seeded Rng, so both backends see exactly the same corrupted inputs.
import { Rng } from '../rng';
import { checkFinite, checkInteger, checkOptions, checkSeed, Matrix, optionKeys, Rows } from '../validate';
import { toFiniteRows } from './model';

/** Options of `corrupt.halfMask`. */
export interface HalfMaskOptions {
  /** Pixel rows per image (default: square images, sqrt(cols)). */
  height?: number;
}

/**
 * Sets the bottom half of each image to 0 (mid-grey). Images are `height` rows of pixels (default:
 * square, height = sqrt(cols)); rows floor(height/2) .. height-1 are masked.
 */

export function halfMask(images: Rows, options: HalfMaskOptions = {}): Matrix<Float64Array> {
  const x = toFiniteRows(images, 'images');
  const opts = checkOptions(options, 'options', optionKeys<HalfMaskOptions>()('height'));
  const side = Math.round(Math.sqrt(x.cols));
  const height = opts.height === undefined ? side : checkInteger(opts.height, 'options.height', 1, x.cols);
  if (opts.height === undefined && side * side !== x.cols) throw new RangeError(`images are not square (${x.cols} pixels); pass options.height`);
  if (x.cols % height !== 0) throw new RangeError(`options.height ${height} does not divide the ${x.cols} pixels of an image`);
  const width = x.cols / height;
  const from = Math.floor(height / 2) * width;
  for (let r = 0; r < x.rows; r++) x.data.fill(0, r * x.cols + from, (r + 1) * x.cols);
  return x;
}

/** clamp(|(x+1)/2 + n|, 0, 1) * 2 - 1 with n ~ N(0, sigma^2) drawn row by row from Rng(seed). */
export function gaussian(images: Rows, sigma: number, seed: number): Matrix<Float64Array> {
  const x = toFiniteRows(images, 'images');
  checkFinite(sigma, 'sigma');
  if (sigma < 0) throw new RangeError(`sigma must be >= 0, got ${sigma}`);
  checkSeed(seed, 'seed');
  const rng = new Rng(seed);
  for (let i = 0; i < x.data.length; i++) {
    const unit = Math.abs((x.data[i] + 1) / 2 + sigma * rng.normal());
    x.data[i] = Math.min(unit, 1) * 2 - 1;
  }
  return x;
}
