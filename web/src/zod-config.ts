/**
 * Zod without `new Function` (ADR 0086). Zod 4 compiles fast object parsers
 * with `new Function` when it can, and finds out by trying it as each object
 * schema is built; under the pages' CSP (no 'unsafe-eval') that try is a CSP
 * violation. Imported first by main.tsx, before any module builds a schema.
 */
import { config } from 'zod';

config({ jitless: true });
