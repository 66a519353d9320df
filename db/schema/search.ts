/**
 * Full-text search of shops and dishes (ADR 0101): a generated `tsvector`
 * column, accents folded and lower-cased by `search_fold(text)` (an
 * IMMUTABLE wrapper of the `unaccent` extension, made by migration 0009), in
 * the `simple` configuration (no stemming: names are French and English),
 * with a GIN index. Queries fold their terms the same way (services/search).
 */
import { customType } from 'drizzle-orm/pg-core';
import type { SQL } from 'drizzle-orm';
import { sql } from 'drizzle-orm';

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

/** A stored generated column of the folded words of `source` (an expression over the row's own columns). */
export const searchVector = (source: SQL) =>
  tsvector('search_vector').generatedAlwaysAs(sql`to_tsvector('simple'::regconfig, public.search_fold(${source}))`);
