/**
 * Child process of bench/shard-index.ts: the ingest measured with zod's JIT
 * off, which is the path zod takes inside workerd (no `new Function` there).
 * zod must be configured before the protocol's schemas are built, hence the
 * dynamic import.
 */
import { z } from 'zod';

z.config({ jitless: true });
const { measureIngest } = await import('./shard-index-work.ts');
process.stdout.write(JSON.stringify(measureIngest()));
