import { describe, expect, it } from 'vitest';
import { balancedShards } from '../../scripts/lib/test-shards';

describe('test shards balanced by recorded time', () => {
  it('deals every file to exactly one shard, longest first to the least loaded', () => {
    const seconds = { 'a.test.ts': 60, 'b.test.ts': 40, 'c.test.ts': 30, 'd.test.ts': 20, 'e.test.ts': 10 };
    const shards = balancedShards([...Object.keys(seconds), 'new.test.ts'], seconds, 2);
    expect(shards.flat().sort()).toEqual(['a.test.ts', 'b.test.ts', 'c.test.ts', 'd.test.ts', 'e.test.ts', 'new.test.ts']);
    const load = (files: string[]) => files.reduce((sum, f) => sum + ((seconds as Record<string, number>)[f] ?? 30) + 2, 0);
    // 60 + 10 + 2·… against 40 + 30 + 20 + …: within the longest file of each other.
    const [x, y] = shards.map(load) as [number, number];
    expect(Math.abs(x - y)).toBeLessThanOrEqual(62);
    expect(shards.find((s) => s.includes('a.test.ts'))).not.toContain('b.test.ts');
  });

  it('splits by count when nothing was recorded', () => {
    const files = Array.from({ length: 9 }, (_, i) => `f${i}.test.ts`);
    expect(balancedShards(files, {}, 3).map((s) => s.length)).toEqual([3, 3, 3]);
  });
});
