import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { orderContacts, orders, userProfiles, users } from '../../db/schema/index';
import { call, callJson, register, login, type Account } from './auth-helpers';
import { createCity, createMerchant, createProduct, db, orderBody, placeOrder, type TestMerchant } from './helpers/commerce';

let cityId: string;
let merchant: TestMerchant;
let product: string;

beforeAll(async () => {
  cityId = await createCity();
  merchant = await createMerchant(cityId);
  product = await createProduct(merchant.merchantId, 990);
});

async function customerWithOrder(): Promise<{ account: Account; orderId: string }> {
  const account = await register('customer', cityId);
  const created = await placeOrder(account.accessToken, orderBody(merchant.merchantId, [{ productId: product, quantity: 2 }]));
  return { account, orderId: created.order.id as string };
}

describe('GET /v1/me/export', () => {
  it('returns the caller’s profile and orders, and nobody else’s', async () => {
    const { account, orderId } = await customerWithOrder();
    const other = await customerWithOrder();
    const { body } = await callJson<{ profile: { email: string }; orders: { id: string; contact: { address: string } | null; items: unknown[] }[] }>(
      '/v1/me/export', { token: account.accessToken }, 200,
    );
    expect(body.profile.email).toBe(account.email);
    expect(body.orders.map((o) => o.id)).toEqual([orderId]);
    expect(body.orders[0]!.contact?.address).toBeTruthy();
    expect(body.orders[0]!.items).toHaveLength(1);
    expect(JSON.stringify(body)).not.toContain(other.orderId);
  });
});

describe('DELETE /v1/me', () => {
  it('refuses while an order is in progress, and changes nothing', async () => {
    const { account, orderId } = await customerWithOrder();
    const res = await call('/v1/me', { method: 'DELETE', token: account.accessToken });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ orderId });
    const [profile] = await db().select().from(userProfiles).where(eq(userProfiles.userId, account.user.id));
    expect(profile?.email).toBe(account.email);
  });

  it('erases personal data and keeps the order’s accounting', async () => {
    const { account, orderId } = await customerWithOrder();
    expect((await call(`/v1/orders/${orderId}/cancel`, { token: account.accessToken, body: {} })).status).toBe(200);
    const [before] = await db().select().from(orders).where(eq(orders.id, orderId));

    expect((await call('/v1/me', { method: 'DELETE', token: account.accessToken })).status).toBe(204);

    expect(await db().select().from(userProfiles).where(eq(userProfiles.userId, account.user.id))).toEqual([]);
    const [user] = await db().select().from(users).where(eq(users.id, account.user.id));
    expect(user).toMatchObject({ status: 'erased' });
    const [contact] = await db().select().from(orderContacts).where(eq(orderContacts.orderId, orderId));
    expect(contact).toMatchObject({ name: null, phone: null, email: null, address: null });
    expect(contact?.erasedAt).toBeInstanceOf(Date);
    const [after] = await db().select().from(orders).where(eq(orders.id, orderId));
    expect(after).toMatchObject({ totalCents: before!.totalCents, status: 'cancelled', customerId: account.user.id });
    expect(after!.dropoffLat).toBeCloseTo(before!.dropoffLat, 3);

    // The account is gone for every way in.
    expect((await call('/v1/me', { token: account.accessToken })).status).toBe(401);
    await expect(login(account.email)).rejects.toThrow();
    expect((await call('/v1/auth/refresh', { body: { refreshToken: account.refreshToken } })).status).toBe(401);
  });

  it('refuses a business owner until the business is handed over', async () => {
    const res = await call('/v1/me', { method: 'DELETE', token: merchant.ownerToken });
    expect(res.status).toBe(409);
  });
});
