/**
 * ADR 0084: control characters, lone surrogates and noncharacters never reach
 * Postgres. One rule at the app's edge (middleware/input-characters.ts) for
 * path, query and body, the same rule in the shared zod string types
 * (schemas/text.ts) and in the live protocol's schemas. Before it, a NUL in
 * any stored text was a 500 (Postgres refuses 0x00) and a lone surrogate was
 * silently stored as U+FFFD.
 */
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { products } from '../../db/schema/index';
import { parseDriverMessage } from '../../domain/protocol/city-shard';
import { NewOrderSchema } from '../../workers/schemas/orders';
import { PASSWORD, call, callJson, createCity, register, registrationBody, testDb, uniqueEmail, type Account } from '../workers/auth-helpers';

let cityId: string;
let owner: Account;
let customer: Account;

beforeAll(async () => {
  cityId = await createCity();
  [owner, customer] = await Promise.all([register('merchant', cityId), register('customer', cityId)]);
});

interface ProblemBody {
  type: string;
  status: number;
  errors?: { path: string; message: string }[];
}

async function expectRefused(res: Response, status: number): Promise<ProblemBody> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  return JSON.parse(text) as ProblemBody;
}

const HOSTILE = {
  nul: 'a\u0000b',
  loneHigh: 'a\ud800b',
  loneLow: 'a\udc00b',
  escape: 'a\u001b[31mb',
  bell: 'a\u0007b',
  del: 'a\u007fb',
  c1: 'a\u009bb',
  nonchar: 'a\ufffeb',
  planeNonchar: 'a\u{1fffe}b',
};

describe('V5.1.4 API8:2023 hostile characters in bodies are refused with 422 before any query', () => {
  it('a product name with any refused character: 422 naming the field, nothing stored', async () => {
    const merchantId = owner.user.merchantId!;
    for (const [label, bad] of Object.entries(HOSTILE)) {
      const res = await call(`/v1/merchants/${merchantId}/products`, { token: owner.accessToken, body: { name: `Soup ${bad}`, priceCents: 500 } });
      const problem = await expectRefused(res, 422);
      expect(problem.type, label).toMatch(/validation-failed$/);
      expect(problem.errors?.[0]?.path, label).toBe('json.name');
    }
    const stored = await testDb().select({ name: products.name }).from(products).where(eq(products.merchantId, merchantId));
    expect(stored.filter((p) => p.name.startsWith('Soup '))).toEqual([]);
  });

  it('merchant, staff and registration names and addresses', async () => {
    const merchantId = owner.user.merchantId!;
    await expectRefused(await call(`/v1/merchants/${merchantId}`, { method: 'PATCH', token: owner.accessToken, body: { name: HOSTILE.nul } }), 422);
    // A lone surrogate was stored as U+FFFD before: what was read back was not what was sent.
    await expectRefused(await call(`/v1/merchants/${merchantId}`, { method: 'PATCH', token: owner.accessToken, body: { address: HOSTILE.loneHigh } }), 422);
    await expectRefused(
      await call(`/v1/merchants/${merchantId}/staff`, { token: owner.accessToken, body: { email: uniqueEmail('nul'), password: PASSWORD, name: HOSTILE.nul, role: 'staff' } }),
      422,
    );
    const merchant = registrationBody('merchant', cityId);
    await expectRefused(await call('/v1/auth/register', { body: { ...merchant, business: { ...merchant.business, address: `1 Rue ${HOSTILE.nul}` } } }), 422);
    await expectRefused(await call('/v1/auth/register', { body: { ...registrationBody('customer', cityId), name: HOSTILE.escape } }), 422);
  });

  it('an order’s drop-off address and instructions, and a property name carrying NUL', async () => {
    const order = (dropoff: Record<string, unknown>) => ({ merchantId: owner.user.merchantId, items: [{ productId: 'prd_x', quantity: 1 }], dropoff: { location: { lat: 48.85, lng: 2.35 }, ...dropoff } });
    const headers = { 'Idempotency-Key': `nul-${crypto.randomUUID()}` };
    const refused = await expectRefused(await call('/v1/orders', { token: customer.accessToken, headers, body: order({ address: `10 Rue ${HOSTILE.nul}` }) }), 422);
    expect(refused.errors?.map((e) => e.path)).toEqual(['json.dropoff.address']);
    await expectRefused(await call('/v1/orders', { token: customer.accessToken, headers, body: order({ address: 'x', instructions: HOSTILE.bell }) }), 422);
    const key = await expectRefused(await call('/v1/orders', { token: customer.accessToken, headers, body: { ...order({ address: 'x' }), 'a\u0000': 1 } }), 422);
    expect(key.errors?.[0]?.message).toMatch(/property name/);
  });

  it('a raw NUL byte escaped in JSON text and one inside a form body', async () => {
    await expectRefused(await call('/v1/auth/login', { body: '{"email":"a@example.com","password":"x\\u0000y"}' }), 422);
    const form = await call('/v1/webhooks/twilio/status', { body: 'MessageSid=SM%00x&MessageStatus=delivered', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    await expectRefused(form, 422);
  });
});

describe('V5.1.3 API8:2023 hostile characters in paths (404) and query strings (422)', () => {
  it('ids in paths: /v1/orders/ord_%00abc, /v1/track/…%00, a merchant id with a lone surrogate or bad UTF-8', async () => {
    await expectRefused(await call('/v1/orders/ord_%00abc', { token: customer.accessToken }), 404);
    await expectRefused(await call(`/v1/track/${'a'.repeat(20)}%00`), 404);
    await expectRefused(await call('/v1/merchants/mer_%ED%A0%80x'), 404);
    await expectRefused(await call('/v1/merchants/mer_%C3%28'), 404);
    await expectRefused(await call('/v1/merchants/mer_%1B%5B0m'), 404);
  });

  it('?cityId=a%00b and any other parameter, named or not', async () => {
    const problem = await expectRefused(await call('/v1/merchants?cityId=a%00b'), 422);
    expect(problem.errors?.map((e) => e.path)).toEqual(['query.cityId']);
    await expectRefused(await call('/v1/cities?x=%07'), 422);
    await expectRefused(await call('/v1/orders?cursor=%EF%BF%BE', { token: customer.accessToken }), 422);
  });
});

describe('V5.1.4 one-line fields refuse line breaks; multi-line ones keep them (shared zod string types)', () => {
  const body = (address: string, instructions?: string) => ({
    merchantId: 'mer_x',
    items: [{ productId: 'prd_x', quantity: 1 }],
    dropoff: { address, location: { lat: 0, lng: 0 }, ...(instructions === undefined ? {} : { instructions }) },
  });
  it('an address is one line; instructions may span lines; emoji and accents pass', () => {
    expect(NewOrderSchema.safeParse(body('1 Rue\nde Rivoli')).success).toBe(false);
    expect(NewOrderSchema.safeParse(body('1 Rue de Rivoli', 'Code 1234\n3rd floor\tleft')).success).toBe(true);
    expect(NewOrderSchema.safeParse(body('Straße 5 – 東京 🍜')).success).toBe(true);
    expect(NewOrderSchema.safeParse(body(HOSTILE.nul)).success).toBe(false);
  });

  it('a multi-line product description is stored as sent', async () => {
    const { body: created } = await callJson<{ description: string }>(
      `/v1/merchants/${owner.user.merchantId}/products`,
      { token: owner.accessToken, body: { name: 'Bowl 🍜', priceCents: 900, description: 'Line one\nLine two\tend' } },
      201,
    );
    expect(created.description).toBe('Line one\nLine two\tend');
  });
});

describe('V5.1.4 API8:2023 WebSocket frames follow the same rule', () => {
  it('offer.decline with a NUL reason or offer id is an invalid message, never reaching storage', () => {
    for (const frame of [
      { type: 'offer.decline', offerId: 'ofr_1', reason: HOSTILE.nul },
      { type: 'offer.accept', offerId: `ofr_${HOSTILE.loneHigh}` },
      { type: 'offer.decline', offerId: 'ofr_1', reason: HOSTILE.c1 },
    ]) {
      const parsed = parseDriverMessage(JSON.stringify(frame));
      expect(parsed.ok, JSON.stringify(frame)).toBe(false);
      if (!parsed.ok) expect(parsed.error.code).toBe('invalid_message');
    }
    expect(parseDriverMessage(JSON.stringify({ type: 'offer.decline', offerId: 'ofr_1', reason: 'trop loin 🚲' })).ok).toBe(true);
  });
});
