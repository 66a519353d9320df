/**
 * Owners can be erased (ADR 0089). Before: a merchant owner got 409
 * `owner-of-business` on DELETE /v1/me and the API had no way to hand the
 * business over or close it. Now the owner transfers it to a member, or
 * closes it once no order is open, both confirmed with its password, and
 * can then erase its account.
 */
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { newId } from '../../db/ids';
import { auditLog, merchantApiKeys, merchantMembers, merchants, orders, payments, webhookEndpoints } from '../../db/schema/index';
import { SESSION_ENDED_CLOSE } from '../../domain/live-sessions';
import { Client } from '../workers/city-shard-helpers';
import { PASSWORD, addStaff, call, callJson, createApiKey, createCity, login, register, testDb, type Account } from '../workers/auth-helpers';
import { orderRow } from '../workers/helpers/order-row';

const decode = (jwt: string) => JSON.parse(atob(jwt.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as Record<string, unknown>;
const meStatus = async (token: string) => (await call('/v1/me', { token })).status;

async function placedOrder(cityId: string, owner: Account, customer: Account): Promise<string> {
  const row = orderRow({ cityId, merchantId: owner.user.merchantId!, customerId: customer.user.id, driverId: null, status: 'placed', dispatchState: 'unassigned', deliveryPin: '4321' });
  await testDb().insert(orders).values(row);
  await testDb().insert(payments).values({ id: newId('pay'), orderId: row.id, status: 'succeeded', amountCents: row.totalCents, currency: 'EUR' });
  return row.id;
}

describe('V8.3.2 V3.7.1 API5:2023 an owner hands the business to a member, then can be erased', () => {
  it('transfer: the member becomes owner, the owner a manager, both sign in again; the former owner erases its account', async () => {
    const cityId = await createCity();
    const owner = await register('merchant', cityId);
    const manager = await addStaff(owner, 'manager');
    const merchantId = owner.user.merchantId!;
    const path = `/v1/merchants/${merchantId}/ownership-transfer`;

    // Before: no way out but this.
    const refused = await callJson<{ type: string }>('/v1/me', { method: 'DELETE', token: owner.accessToken }, 409);
    expect(refused.body.type).toMatch(/owner-of-business$/);

    await callJson(path, { token: owner.accessToken, body: { toUserId: manager.user.id, password: 'not the password' } }, 403);
    await callJson(path, { token: manager.accessToken, body: { toUserId: manager.user.id, password: PASSWORD } }, 403);
    await callJson(path, { token: owner.accessToken, body: { toUserId: owner.user.id, password: PASSWORD } }, 409);
    await callJson(path, { token: owner.accessToken, body: { toUserId: 'usr_nobody00000000000000', password: PASSWORD } }, 404);

    const { body } = await callJson<{ ownerId: string; previousOwnerId: string; previousOwnerRole: string }>(
      path,
      { token: owner.accessToken, body: { toUserId: manager.user.id, password: PASSWORD } },
      200,
    );
    expect(body).toMatchObject({ ownerId: manager.user.id, previousOwnerId: owner.user.id, previousOwnerRole: 'manager' });
    // Both tokens said the old roles: refused at once.
    expect(await meStatus(owner.accessToken)).toBe(401);
    expect(await meStatus(manager.accessToken)).toBe(401);
    const newOwner = await login(manager.email);
    const former = await login(owner.email);
    expect(decode(newOwner.accessToken)).toMatchObject({ mid: merchantId, mrole: 'owner' });
    expect(decode(former.accessToken)).toMatchObject({ mid: merchantId, mrole: 'manager' });
    // The former owner no longer manages staff or keys.
    await callJson(`/v1/merchants/${merchantId}/staff`, { token: former.accessToken }, 403);
    const [audit] = await testDb().select().from(auditLog).where(and(eq(auditLog.action, 'merchant.ownership_transfer'), eq(auditLog.targetId, merchantId)));
    expect(audit).toMatchObject({ actorId: owner.user.id, metadata: expect.objectContaining({ from: owner.user.id, to: manager.user.id }) });

    expect((await call('/v1/me', { method: 'DELETE', token: former.accessToken })).status).toBe(204);
    const members = await testDb().select().from(merchantMembers).where(eq(merchantMembers.merchantId, merchantId));
    expect(members.map((m) => [m.userId, m.role])).toEqual([[manager.user.id, 'owner']]);
  });
});

describe('V8.3.2 V3.7.1 API5:2023 API6:2023 an owner closes the business once no order is open, then can be erased', () => {
  it('refused while an order is open (nothing changes); then closed: no orders, no members, no keys, no webhooks, no sockets; the owner erases its account', async () => {
    const cityId = await createCity();
    const owner = await register('merchant', cityId);
    const customer = await register('customer', cityId);
    const staff = await addStaff(owner, 'staff');
    const key = await createApiKey(owner);
    const merchantId = owner.user.merchantId!;
    const product = await callJson<{ id: string }>(`/v1/merchants/${merchantId}/products`, { token: owner.accessToken, body: { name: 'Soup', priceCents: 650 } }, 201);
    const orderId = await placedOrder(cityId, owner, customer);
    const feed = await call(`/v1/merchants/${merchantId}/live`, { token: key.key, headers: { Upgrade: 'websocket' } });
    expect(feed.status).toBe(101);
    const socket = new Client(feed.webSocket!);

    await callJson(`/v1/merchants/${merchantId}/close`, { token: owner.accessToken, body: { password: 'not the password' } }, 403);
    await callJson(`/v1/merchants/${merchantId}/close`, { token: staff.accessToken, body: { password: PASSWORD } }, 403);
    await callJson(`/v1/merchants/${merchantId}/close`, { token: key.key, body: { password: PASSWORD } }, 403);
    const open = await callJson<{ type: string; openOrders: number; orderIds: string[] }>(`/v1/merchants/${merchantId}/close`, { token: owner.accessToken, body: { password: PASSWORD } }, 409);
    expect(open.body).toMatchObject({ openOrders: 1, orderIds: [orderId] });
    expect(open.body.type).toMatch(/open-orders$/);
    expect(open.res.headers.get('content-type')).toBe('application/problem+json');
    expect(await meStatus(staff.accessToken)).toBe(200);

    await callJson(`/v1/orders/${orderId}/reject`, { token: owner.accessToken, body: { reason: 'closing down' } }, 200);
    const started = Date.now();
    const { body } = await callJson<{ closedAt: string; membersRemoved: number; apiKeysRevoked: number }>(`/v1/merchants/${merchantId}/close`, { token: owner.accessToken, body: { password: PASSWORD } }, 200);
    expect(body).toMatchObject({ membersRemoved: 2, apiKeysRevoked: 1 });
    const closed = await Promise.race([socket.closed, new Promise<null>((resolve) => setTimeout(() => resolve(null), 2_000))]);
    expect(closed?.code).toBe(SESSION_ENDED_CLOSE.code);
    expect(Date.now() - started).toBeLessThan(2_000);

    // Nobody acts for it any more, and nobody orders from it.
    expect(await meStatus(owner.accessToken)).toBe(401);
    expect(await meStatus(staff.accessToken)).toBe(401);
    expect((await call('/v1/orders', { token: key.key })).status).toBe(401);
    const order = await call('/v1/orders', {
      token: customer.accessToken,
      headers: { 'Idempotency-Key': `closed-${crypto.randomUUID()}` },
      body: { merchantId, items: [{ productId: product.body.id, quantity: 1 }], dropoff: { address: '1 Rue du Test', location: { lat: 48.86, lng: 2.34 } } },
    });
    expect(order.status).toBe(422);
    const directory = await callJson<{ items: { id: string }[] }>(`/v1/merchants?cityId=${cityId}`, {}, 200);
    expect(directory.body.items.map((m) => m.id)).not.toContain(merchantId);
    const former = await login(owner.email);
    expect(decode(former.accessToken).mid).toBeUndefined();
    await callJson(`/v1/merchants/${merchantId}`, { method: 'PATCH', token: former.accessToken, body: { open: true } }, 404);
    const [row] = await testDb().select().from(merchants).where(eq(merchants.id, merchantId));
    expect(row).toMatchObject({ open: false, closedAt: expect.any(Date) });
    expect((await testDb().select().from(merchantApiKeys).where(eq(merchantApiKeys.merchantId, merchantId))).every((k) => k.revokedAt !== null)).toBe(true);
    expect((await testDb().select().from(webhookEndpoints).where(eq(webhookEndpoints.merchantId, merchantId))).every((w) => !w.active)).toBe(true);
    // The orders stay for accounting.
    expect((await testDb().select({ id: orders.id }).from(orders).where(eq(orders.merchantId, merchantId))).map((o) => o.id)).toEqual([orderId]);
    const [audit] = await testDb().select().from(auditLog).where(and(eq(auditLog.action, 'merchant.close'), eq(auditLog.targetId, merchantId)));
    expect(audit).toMatchObject({ actorId: owner.user.id, metadata: expect.objectContaining({ apiKeysRevoked: 1 }) });
    await callJson(`/v1/merchants/${merchantId}/close`, { token: former.accessToken, body: { password: PASSWORD } }, 404);

    expect((await call('/v1/me', { method: 'DELETE', token: former.accessToken })).status).toBe(204);
  });
});

describe('V4.1.1 V2.2.1 API5:2023 only the owner, and not by guessing its password', () => {
  it('another owner gets 404; five wrong passwords in a row, then 429 even for the right one', async () => {
    const cityId = await createCity();
    const owner = await register('merchant', cityId);
    const stranger = await register('merchant', cityId);
    const path = `/v1/merchants/${owner.user.merchantId}/close`;
    await callJson(path, { token: stranger.accessToken, body: { password: PASSWORD } }, 404);
    for (let i = 0; i < 5; i++) await callJson(path, { token: owner.accessToken, body: { password: `guess ${i} of the password` } }, 403);
    const throttled = await call(path, { token: owner.accessToken, body: { password: PASSWORD } });
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
