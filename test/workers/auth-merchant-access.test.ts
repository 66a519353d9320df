import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditLog, merchantApiKeys } from '../../db/schema/index';
import { hashApiKey } from '../../workers/services/auth/api-keys';
import { PASSWORD, addStaff, call, callJson, createApiKey, createCity, login, register, testDb, uniqueEmail, type Account } from './auth-helpers';

let cityId: string;
let owner: Account;
let otherOwner: Account;
beforeAll(async () => {
  cityId = await createCity();
  [owner, otherOwner] = await Promise.all([register('merchant', cityId), register('merchant', cityId)]);
});

const keysPath = (a: Account) => `/v1/merchants/${a.user.merchantId}/api-keys`;
const staffPath = (a: Account) => `/v1/merchants/${a.user.merchantId}/staff`;

async function auditActions(targetId: string) {
  const rows = await testDb().select().from(auditLog).where(eq(auditLog.targetId, targetId));
  return rows.map((r) => r.action);
}

describe('merchant API keys', () => {
  it('are shown once with a visible prefix, stored hashed, listed by prefix only, and audited', async () => {
    const created = await createApiKey(owner, 'POS integration');
    expect(created.key).toMatch(/^dpk_[0-9a-z]{8}_[0-9a-z]{32}$/);
    expect(created.key.startsWith(created.prefix)).toBe(true);
    const [row] = await testDb().select().from(merchantApiKeys).where(eq(merchantApiKeys.id, created.id));
    expect(row!.keyHash).toBe(await hashApiKey(created.key));
    expect(JSON.stringify(row)).not.toContain(created.key);

    const list = await callJson<{ items: Record<string, unknown>[] }>(keysPath(owner), { token: owner.accessToken }, 200);
    const listed = list.body.items.find((k) => k.id === created.id);
    expect(listed).toMatchObject({ prefix: created.prefix, name: 'POS integration', revokedAt: null });
    expect(JSON.stringify(list.body)).not.toContain(created.key);
    expect(await auditActions(created.id)).toEqual(['api_key.create']);
  });

  it('authenticate server-to-server calls until revoked, then 401', async () => {
    const created = await createApiKey(owner);
    // An API key is a merchant principal: allowed past authentication, refused where only the owner may go.
    expect((await call(keysPath(owner), { token: created.key })).status).toBe(403);
    expect((await call(keysPath(otherOwner), { token: created.key })).status).toBe(404);
    expect((await call(`/v1/merchants/${owner.user.merchantId}/api-keys/${created.id}`, { method: 'DELETE', token: owner.accessToken })).status).toBe(204);
    expect((await call(keysPath(owner), { token: created.key })).status).toBe(401);
    // Revoking again is harmless and not audited twice.
    expect((await call(`/v1/merchants/${owner.user.merchantId}/api-keys/${created.id}`, { method: 'DELETE', token: owner.accessToken })).status).toBe(204);
    expect(await auditActions(created.id)).toEqual(['api_key.create', 'api_key.revoke']);
  });

  it("cannot be revoked through another merchant's path (404), nor by the other owner", async () => {
    const created = await createApiKey(owner);
    expect((await call(`/v1/merchants/${otherOwner.user.merchantId}/api-keys/${created.id}`, { method: 'DELETE', token: otherOwner.accessToken })).status).toBe(404);
    expect((await call(`/v1/merchants/${owner.user.merchantId}/api-keys/${created.id}`, { method: 'DELETE', token: otherOwner.accessToken })).status).toBe(404);
    const [row] = await testDb().select().from(merchantApiKeys).where(eq(merchantApiKeys.id, created.id));
    expect(row!.revokedAt).toBeNull();
  });

  it('an unknown or malformed key is a 401, never the anonymous view', async () => {
    expect((await call('/v1/cities', { token: 'dpk_00000000_00000000000000000000000000000000' })).status).toBe(401);
    expect((await call('/v1/cities', { headers: { Authorization: 'Basic abc' } })).status).toBe(401);
  });
});

describe('merchant staff', () => {
  it('an Idempotency-Key retry answers the member first added, byte for byte, and adds no other account; another body is a 409', async () => {
    const key = `staff-${crypto.randomUUID()}`;
    const body = { email: uniqueEmail('retry'), password: PASSWORD, name: 'Retry Staff', role: 'staff' };
    const first = await call(staffPath(owner), { token: owner.accessToken, body, headers: { 'Idempotency-Key': key } });
    expect(first.status).toBe(201);
    const firstText = await first.text();
    const again = await call(staffPath(owner), { token: owner.accessToken, body, headers: { 'Idempotency-Key': key } });
    expect(again.status).toBe(201);
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(await again.text()).toBe(firstText);
    const member = JSON.parse(firstText) as { userId: string };
    expect(await auditActions(member.userId)).toEqual(['merchant.staff_add']);
    const reused = await call(staffPath(owner), { token: owner.accessToken, body: { ...body, email: uniqueEmail('other') }, headers: { 'Idempotency-Key': key } });
    expect(reused.status).toBe(409);
    expect(((await reused.json()) as { type: string }).type).toContain('idempotency-key-reused');
    const list = await callJson<{ items: { email: string }[] }>(staffPath(owner), { token: owner.accessToken }, 200);
    expect(list.body.items.filter((m) => m.email === body.email)).toHaveLength(1);
  });

  it('the owner adds staff with a narrower role; their token says so; audited', async () => {
    const staff = await addStaff(owner, 'staff');
    expect(staff.user).toMatchObject({ role: 'merchant', merchantId: owner.user.merchantId, merchantRole: 'staff' });
    expect(await auditActions(staff.user.id)).toContain('merchant.staff_add');
    const list = await callJson<{ items: { userId: string; role: string }[] }>(staffPath(owner), { token: owner.accessToken }, 200);
    expect(list.body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ userId: owner.user.id, role: 'owner' }),
        expect.objectContaining({ userId: staff.user.id, role: 'staff' }),
      ]),
    );
  });

  it('staff and managers cannot manage API keys or staff (403)', async () => {
    for (const role of ['staff', 'manager'] as const) {
      const member = await addStaff(owner, role);
      expect((await call(keysPath(owner), { token: member.accessToken, body: {} })).status).toBe(403);
      expect((await call(keysPath(owner), { token: member.accessToken })).status).toBe(403);
      expect(
        (await call(staffPath(owner), { token: member.accessToken, body: { email: uniqueEmail('x'), password: PASSWORD, name: 'X', role: 'staff' } })).status,
      ).toBe(403);
      expect((await call(`${staffPath(owner)}/${owner.user.id}`, { method: 'DELETE', token: member.accessToken })).status).toBe(403);
    }
  });

  it("the owner changes a member's role (audited; the member's sessions end) and cannot set 'owner'", async () => {
    const member = await addStaff(owner, 'staff');
    const refused = await callJson<{ errors: { path: string }[] }>(`${staffPath(owner)}/${member.user.id}`, { method: 'PATCH', token: owner.accessToken, body: { role: 'owner' } }, 422);
    expect(refused.body.errors[0]!.path).toBe('json.role');
    await callJson(`${staffPath(owner)}/${member.user.id}`, { method: 'PATCH', token: owner.accessToken, body: { role: 'manager' } }, 200);
    await callJson('/v1/auth/refresh', { body: { refreshToken: member.refreshToken } }, 401);
    const again = await login(member.email);
    expect(again.user.merchantRole).toBe('manager');
    const rows = await testDb()
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.targetId, member.user.id), eq(auditLog.action, 'merchant.staff_role_change')));
    expect(rows[0]!.metadata).toMatchObject({ from: 'staff', to: 'manager' });
  });

  it("the owner's membership cannot be changed or removed (409)", async () => {
    await callJson(`${staffPath(owner)}/${owner.user.id}`, { method: 'PATCH', token: owner.accessToken, body: { role: 'staff' } }, 409);
    await callJson(`${staffPath(owner)}/${owner.user.id}`, { method: 'DELETE', token: owner.accessToken }, 409);
  });

  it('removing a member ends the membership and its sessions; the account acts for no business', async () => {
    const member = await addStaff(owner, 'staff');
    expect((await call(`${staffPath(owner)}/${member.user.id}`, { method: 'DELETE', token: owner.accessToken })).status).toBe(204);
    await callJson('/v1/auth/refresh', { body: { refreshToken: member.refreshToken } }, 401);
    const again = await login(member.email);
    expect(again.user).toMatchObject({ merchantId: null, merchantRole: null });
    expect((await call(keysPath(owner), { token: again.accessToken })).status).toBe(404);
    expect(await auditActions(member.user.id)).toContain('merchant.staff_remove');
  });

  it("another merchant's members are not found (404) and a taken email is 409", async () => {
    const member = await addStaff(otherOwner, 'staff');
    await callJson(`${staffPath(owner)}/${member.user.id}`, { method: 'PATCH', token: owner.accessToken, body: { role: 'manager' } }, 404);
    await callJson(`${staffPath(owner)}/${member.user.id}`, { method: 'DELETE', token: owner.accessToken }, 404);
    await callJson(`${staffPath(otherOwner)}/${member.user.id}`, { method: 'DELETE', token: owner.accessToken }, 404);
    await callJson(staffPath(owner), { token: owner.accessToken, body: { email: member.email.toUpperCase(), password: PASSWORD, name: 'Dup', role: 'staff' } }, 409);
  });
});
