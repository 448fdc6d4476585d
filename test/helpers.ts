// Shared test helpers: the backends to run against, and exact comparisons.
import { availableBackends, BackendName } from '../src/index';

/** Both backends; the native one must load unless SSHN_BACKEND=js restricts the run. */
export function backendsUnderTest(): BackendName[] {
  if (process.env.SSHN_BACKEND === 'js') return ['js'];
  const available = availableBackends();
  if (!available.includes('native')) throw new Error('the native addon did not load; build it (npm install) or set SSHN_BACKEND=js');
  return ['native', 'js'];
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? (Number.isNaN(a[i]) && Number.isNaN(b[i]) ? m : Infinity) : d;
  }
  return m;
}

/** A standalone SVG document whose tags are closed in order, with no repeated attribute and escaped text. */
export function wellFormedSvg(svg: string): boolean {
  if (!svg.startsWith('<svg') || !svg.trimEnd().endsWith('</svg>')) return false;
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)([^>]*?)(\/?)>/g)) {
    const [, closing, name, attrs, selfClosing] = m;
    const names = [...attrs.matchAll(/([a-zA-Z-:]+)="/g)].map((a) => a[1]);
    if (new Set(names).size !== names.length) return false;
    if (closing) {
      if (stack.pop() !== name) return false;
    } else if (!selfClosing) stack.push(name);
  }
  const text = svg.replace(/<[^>]*>/g, '');
  return stack.length === 0 && !/[<>]/.test(text) && !/&(?!(lt|gt|amp|quot|apos);)/.test(text);
}
