/**
 * Wrapped models whose masks live in variables save and load back exactly on
 * webgl in Chromium (src/backend/float_mask.ts says why a plain cast failed),
 * and the device masks there equal the JS reference, ties included.
 */
import {describe, expect, it} from 'vitest';

import {runInBrowser} from '../helpers/browser.js';

interface RoundTrip {
  equal: boolean;
  masks: string[];
  weightBytes: number;
}

describe('masks on webgl', () => {
  it('pruning (m-by-n, global), clustering with preserveSparsity and prune-preserving QAT save and load back equal',
      async () => {
        const {value} = await runInBrowser<{backend: string, castReadsBytes: boolean,
          results: Record<string, RoundTrip>, maskDifferences: Record<string, number>}>({entry: 'test/browser/entries/masks_webgl.ts'});
        expect(value.backend).toBe('webgl');
        // Documents the trap that made plain casts unsafe here.
        expect(value.castReadsBytes).toBe(true);
        for (const [name, r] of Object.entries(value.results)) {
          expect(r.masks.length, name).toBeGreaterThan(0);
          expect(r.equal, name).toBe(true);
        }
        // The masks themselves equal masks.ts's on webgl, ties included (per tensor and global).
        expect(Object.keys(value.maskDifferences)).toHaveLength(6);
        expect(value.maskDifferences).toEqual(Object.fromEntries(Object.keys(value.maskDifferences).map((k) => [k, 0])));
      });
});
