import { describe, expect, it } from '@jest/globals';
import { Category, TRANSIENT_CATEGORIES } from '../../../src/analysis/taxonomy.ts';

describe('taxonomy', () => {
  it('rejects a category outside the fixed list', () => {
    expect(Category.safeParse('flaky_test').success).toBe(true);
    expect(Category.safeParse('cosmic_rays').success).toBe(false);
  });
  it('lists only taxonomy members as transient', () => {
    for (const c of TRANSIENT_CATEGORIES) expect(Category.parse(c)).toBe(c);
  });
});
