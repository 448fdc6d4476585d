// Latent Hopfield networks (SPEC.md section 5).
export { LatentHopfield, scalePixels } from './model';
export type { DynamicsOptions, DynamicsResult, LatentHopfieldOptions, LatentHopfieldWeights, RecallOptions as LatentRecallOptions, RecallResult as LatentRecallResult } from './model';
export { hebbianLatent, trainAttractor, trainAttractorAsync } from './train';
export type { HebbianLatentOptions, TrainAttractorAsyncOptions, TrainAttractorOptions, TrainAttractorResult } from './train';
export { meanAbsoluteError, meanSquaredError, retrievalAccuracy, sumSquaredErrors } from './metrics';
export type { HalfMaskOptions } from './corrupt';
import { gaussian, halfMask } from './corrupt';
/**
 * Image corruptions: `corrupt.halfMask(images)`, `corrupt.gaussian(images, sigma, seed)`.
 *
 * @example
 * ```ts
 * const masked = corrupt.halfMask(images);
 * const noisy = corrupt.gaussian(images, 0.3, 42);
 * ```
 */
export const corrupt = Object.freeze({
  /** Sets the bottom half of each image to 0 (mid-grey). */
  halfMask,
  /** Adds seeded Gaussian noise of standard deviation sigma on the [0, 1] pixel scale, clamped. */
  gaussian,
});
