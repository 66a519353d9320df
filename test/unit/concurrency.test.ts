/** workers/services/concurrency.ts: the consumers' and batch backstops' limited fan-out and grouping. */
import { describe, expect, it } from 'vitest';
import { forEachLimited, groupedBy } from '../../workers/services/concurrency';

describe('groupedBy', () => {
  it('keeps each group in the items’ order and the groups in the order their keys first appear', () => {
    const groups = groupedBy(['b1', 'a1', 'b2', 'c1', 'a2'], (s) => s[0]!);
    expect([...groups.entries()]).toEqual([
      ['b', ['b1', 'b2']],
      ['a', ['a1', 'a2']],
      ['c', ['c1']],
    ]);
  });
});

describe('forEachLimited', () => {
  it('calls every item once, never more than `limit` at a time', async () => {
    let running = 0;
    let most = 0;
    const seen: number[] = [];
    await forEachLimited([...Array(10).keys()], 4, async (i) => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 5 + (i % 3)));
      seen.push(i);
      running--;
    });
    expect(seen.sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
    expect(most).toBe(4);
  });
});
