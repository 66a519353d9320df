import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { merchantApiKeys } from '../../db/schema/index';
import { call, createCity, register, testDb, type Account } from './auth-helpers';

let owner: Account;
beforeAll(async () => {
  owner = await register('merchant', await createCity());
});

const create = (key: string, body: unknown) =>
  call(`/v1/merchants/${owner.user.merchantId}/api-keys`, { token: owner.accessToken, body, headers: { 'Idempotency-Key': key } });

describe('POST /v1/merchants/{id}/api-keys with Idempotency-Key', () => {
  it('makes one key: the retry answers the first key again, byte for byte but for the key shown once', async () => {
    const idemKey = `keys-${crypto.randomUUID()}`;
    const first = await create(idemKey, { name: 'POS' });
    expect(first.status).toBe(201);
    const firstBody = (await first.json()) as { id: string; key?: string; prefix: string };
    expect(firstBody.key).toMatch(/^dpk_/);

    const again = await create(idemKey, { name: 'POS' });
    expect(again.status).toBe(201);
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    const replayText = await again.text();
    const { key: _shownOnce, ...view } = firstBody;
    // The stored answer is the first answer's JSON without `key`, in the same order.
    expect(replayText).toBe(JSON.stringify(view));
    expect(replayText).not.toContain(firstBody.key!);
    const third = await create(idemKey, { name: 'POS' });
    expect(await third.text()).toBe(replayText);

    const rows = await testDb().select().from(merchantApiKeys).where(eq(merchantApiKeys.merchantId, owner.user.merchantId!));
    expect(rows.filter((r) => r.name === 'POS').map((r) => r.id)).toEqual([firstBody.id]);
  });

  it('refuses the same key with another body (409 idempotency-key-reused) and creates nothing', async () => {
    const idemKey = `keys-${crypto.randomUUID()}`;
    expect((await create(idemKey, { name: 'first' })).status).toBe(201);
    const res = await create(idemKey, { name: 'second' });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { type: string }).type).toBe('https://delivery.example.com/problems/idempotency-key-reused');
    const rows = await testDb().select().from(merchantApiKeys).where(eq(merchantApiKeys.merchantId, owner.user.merchantId!));
    expect(rows.filter((r) => r.name === 'second')).toEqual([]);
  });

  it('without a key, each POST creates a key', async () => {
    const a = await call(`/v1/merchants/${owner.user.merchantId}/api-keys`, { token: owner.accessToken, body: { name: 'twice' } });
    const b = await call(`/v1/merchants/${owner.user.merchantId}/api-keys`, { token: owner.accessToken, body: { name: 'twice' } });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(((await a.json()) as { id: string }).id).not.toBe(((await b.json()) as { id: string }).id);
  });
});
