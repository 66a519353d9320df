/**
 * Test files dealt out to the shards of `npm run test:run` (scripts/test-run.ts)
 * by their recorded seconds (test/durations.json), so the shards end together.
 */

/** The files dealt out to `n` shards by their recorded seconds, longest first, each to the least loaded shard. */
export function balancedShards(files: string[], seconds: Record<string, number>, n: number): string[][] {
  const known = files.map((f) => seconds[f]).filter((s): s is number => typeof s === 'number').sort((a, b) => a - b);
  const median = known.length > 0 ? known[Math.floor(known.length / 2)]! : 1;
  // Each file also pays its isolate's start (spawn, environment, transform): about 2 s here.
  const cost = (f: string) => (seconds[f] ?? median) + 2;
  const shards = Array.from({ length: n }, () => ({ files: [] as string[], total: 0 }));
  for (const f of [...files].sort((a, b) => cost(b) - cost(a) || a.localeCompare(b))) {
    const target = shards.reduce((least, s) => (s.total < least.total ? s : least));
    target.files.push(f);
    target.total += cost(f);
  }
  return shards.map((s) => s.files.sort());
}

