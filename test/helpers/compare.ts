/** Comparing two outputs element by element: the measures and assertions the tests share. */
import {expect} from 'vitest';

function sameLength(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) {
    throw new Error(`compared arrays differ in length: ${a.length} vs ${b.length}`);
  }
}

/** Largest |a - b| over two arrays of equal length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  sameLength(a, b);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
  }
  return worst;
}

/** Largest |a - b| / max(1, |b|): absolute for small values of `b`, relative for large ones. */
export function maxRelativeDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  sameLength(a, b);
  let worst = 0;
  for (let i = 0; i < b.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  }
  return worst;
}

/** Largest |actual - expected| over the largest |expected|; against all zeros, 0 if equal, else Infinity. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  sameLength(actual, expected);
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i] - expected[i]));
    maxRef = Math.max(maxRef, Math.abs(expected[i]));
  }
  return maxRef > 0 ? maxDiff / maxRef : maxDiff === 0 ? 0 : Infinity;
}

/** Asserts equal lengths and |actual - expected| <= tolerance everywhere, reporting the worst element. */
export function expectClose(
    actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what = ''): void {
  expect(actual.length, what).toBe(expected.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    if (!(diff <= worst)) {
      worst = diff;
      at = i;
      if (Number.isNaN(diff)) {
        break;  // a NaN fails the bound
      }
    }
  }
  const where = `${what ? `${what}: ` : ''}largest difference ${worst} at element ${at}: ${actual[at]} vs ${expected[at]}`;
  expect(worst, where).toBeLessThanOrEqual(tolerance);
}
