/**
 * Shop and dish search (ADR 0101). Postgres full-text search over the
 * generated `search_vector` columns of merchants and products (accents folded
 * by `search_fold`, the `simple` configuration, GIN indexes; migration 0009).
 * Every word of the query must match the start of a word of the name (dishes:
 * also of the description), so "creme brul" finds "Crème brûlée" as the
 * customer types. Only shops taking orders are searched, as the directory
 * lists them.
 */
import { and, desc, eq, isNull, sql, type SQL } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { merchants, products, type Merchant, type Product } from '../../db/schema/index';

/** At most this many words of a query are used: more only narrows, and each costs a probe of the index. */
export const MAX_QUERY_WORDS = 8;

/** The words of a query: letters and digits only, so nothing in it is tsquery syntax. */
export function queryWords(q: string): string[] {
  return (q.match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, MAX_QUERY_WORDS);
}

/**
 * The tsquery of the words: each folded the way the columns were
 * (`search_fold`), quoted, as a prefix, all required.
 */
function tsquery(words: readonly string[]): SQL {
  const list = sql.join(
    words.map((w) => sql`${w}`),
    sql`, `,
  );
  return sql`to_tsquery('simple', (select string_agg(quote_literal(public.search_fold(w)) || ':*', ' & ') from unnest(array[${list}]::text[]) as w))`;
}

export interface SearchResults {
  merchants: Merchant[];
  products: { product: Product; merchant: Pick<Merchant, 'id' | 'name'> }[];
}

export async function search(db: Pick<Database, 'select'>, params: { q: string; cityId?: string; limit: number }): Promise<SearchResults> {
  const words = queryWords(params.q);
  if (words.length === 0) return { merchants: [], products: [] };
  const query = tsquery(words);
  const taking = [eq(merchants.open, true), eq(merchants.suspended, false), isNull(merchants.closedAt), ...(params.cityId ? [eq(merchants.cityId, params.cityId)] : [])];
  const [shops, dishes] = await Promise.all([
    db
      .select()
      .from(merchants)
      .where(and(sql`${merchants.searchVector} @@ ${query}`, ...taking))
      .orderBy(desc(sql`ts_rank(${merchants.searchVector}, ${query})`), merchants.name, merchants.id)
      .limit(params.limit),
    db
      .select({ product: products, merchantId: merchants.id, merchantName: merchants.name })
      .from(products)
      .innerJoin(merchants, eq(merchants.id, products.merchantId))
      .where(and(sql`${products.searchVector} @@ ${query}`, ...taking))
      .orderBy(desc(products.available), desc(sql`ts_rank(${products.searchVector}, ${query})`), products.name, products.id)
      .limit(params.limit),
  ]);
  return { merchants: shops, products: dishes.map((d) => ({ product: d.product, merchant: { id: d.merchantId, name: d.merchantName } })) };
}
