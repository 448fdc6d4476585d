// Types of sparsemap-certificates.js (plain JavaScript so that bench/sparsemap.js can load it).
export function bestPathScore(u: ArrayLike<number>, b: ArrayLike<number>, L: number, S: number, budget?: { k: number; exact: boolean }): number;
export function pathScore(label: ArrayLike<number>, u: ArrayLike<number>, b: ArrayLike<number>, S: number): number;
export function certifySequence(
  dist: readonly { weight: number; label: ArrayLike<number> }[], u: ArrayLike<number>, eta: ArrayLike<number>, b: ArrayLike<number>, L: number, S: number,
  budget?: { k: number; exact: boolean },
): { consistency: number; gap: number };
export function sequenceDualGap(
  mu: ArrayLike<number>, eta: ArrayLike<number>, b: ArrayLike<number>, L: number, S: number, budget: { k: number; exact: boolean } | undefined,
  dist: readonly { weight: number; label: ArrayLike<number> }[],
): number;
export function bestBudgetScore(g: ArrayLike<number>, k: number, exact: boolean): number;
export function bestOrOutScore(g: ArrayLike<number>, flip?: ArrayLike<boolean>): number;
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number;
export function residualScores(eta: ArrayLike<number>, u: ArrayLike<number>): number[];
