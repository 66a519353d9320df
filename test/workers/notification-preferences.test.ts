/**
 * GET/PUT /v1/me/notification-preferences and POST/DELETE /v1/me/devices:
 * transactional channels and marketing consent kept apart, contact addresses
 * validated (bad input is 422 and changes nothing), devices owned by the caller.
 */
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { devices, notificationPreferences, users } from '../../db/schema/index';
import { callJson } from './auth-helpers';
import { createUser, db, uniqueToken } from './helpers/notification-world';

const PATH = '/v1/me/notification-preferences';
const valid = { sms: true, email: false, push: true, marketing: false };

describe('notification preferences', () => {
  it('starts with order messages on every channel and marketing off', async () => {
    const user = await createUser('customer');
    const { body } = await callJson(PATH, { token: user.token }, 200);
    expect(body).toEqual({ sms: true, email: true, push: true, marketing: false, phone: null, emailAddress: null, locale: 'en' });
  });

  it('stores the switches, the contact addresses and the language', async () => {
    const user = await createUser('customer');
    const { body } = await callJson(PATH, { token: user.token, method: 'PUT', body: { ...valid, marketing: true, phone: '+33698765432', emailAddress: 'Zoe@Example.test', locale: 'fr-FR' } }, 200);
    expect(body).toEqual({ sms: true, email: false, push: true, marketing: true, phone: '+33698765432', emailAddress: 'zoe@example.test', locale: 'fr-FR' });
    expect((await callJson(PATH, { token: user.token }, 200)).body).toEqual(body);
    // Marketing consent is its own switch: turning it off leaves order messages alone.
    const off = await callJson(PATH, { token: user.token, method: 'PUT', body: { ...valid, marketing: false } }, 200);
    expect(off.body).toMatchObject({ sms: true, push: true, marketing: false, phone: '+33698765432' });
    // null clears an address (the account's own is used again).
    const cleared = await callJson(PATH, { token: user.token, method: 'PUT', body: { ...valid, phone: null } }, 200);
    expect(cleared.body).toMatchObject({ phone: null, emailAddress: 'zoe@example.test' });
  });

  it('answers 422 for an invalid phone number or email address and changes nothing', async () => {
    const user = await createUser('customer');
    await callJson(PATH, { token: user.token, method: 'PUT', body: { ...valid, phone: '+33611111111' } }, 200);
    for (const [body, path] of [
      [{ ...valid, phone: '0612345678' }, 'json.phone'],
      [{ ...valid, phone: '+33 6 12 34 56 78' }, 'json.phone'],
      [{ ...valid, phone: '+0612345678' }, 'json.phone'],
      [{ ...valid, emailAddress: 'not-an-email' }, 'json.emailAddress'],
      [{ ...valid, emailAddress: 'a@' }, 'json.emailAddress'],
      [{ ...valid, sms: 'yes' }, 'json.sms'],
      [{ sms: true }, 'json.email'],
      [{ ...valid, locale: 'français' }, 'json.locale'],
    ] as const) {
      const { body: problem } = await callJson<{ errors: { path: string }[] }>(PATH, { token: user.token, method: 'PUT', body }, 422);
      expect(problem.errors.map((e) => e.path)).toContain(path);
    }
    const [row] = await db().select().from(notificationPreferences).where(eq(notificationPreferences.userId, user.userId));
    expect(row).toMatchObject({ sms: true, email: false, push: true, phone: '+33611111111', emailAddress: null });
    const [u] = await db().select().from(users).where(eq(users.id, user.userId));
    expect(u!.locale).toBe('en');
  });

  it('requires a signed-in user', async () => {
    await callJson(PATH, {}, 401);
  });
});

describe('devices', () => {
  it('registers a push token (201), re-registers it (200), moves it to whoever registers it last', async () => {
    const [alice, bob] = await Promise.all([createUser('customer'), createUser('customer')]);
    const pushToken = uniqueToken('fcm');
    const first = await callJson<{ id: string; platform: string }>('/v1/me/devices', { token: alice.token, body: { pushToken, platform: 'ios' } }, 201);
    expect(first.body.platform).toBe('ios');
    const again = await callJson<{ id: string }>('/v1/me/devices', { token: alice.token, body: { pushToken, platform: 'ios' } }, 200);
    expect(again.body.id).toBe(first.body.id);
    await callJson('/v1/me/devices', { token: bob.token, body: { pushToken, platform: 'android' } }, 200);
    const rows = await db().select().from(devices).where(eq(devices.pushToken, pushToken));
    expect(rows).toMatchObject([{ userId: bob.userId, platform: 'android' }]);
    // Alice cannot remove what is now Bob's; Bob can.
    await callJson(`/v1/me/devices/${first.body.id}`, { token: alice.token, method: 'DELETE' }, 404);
    await callJson(`/v1/me/devices/${first.body.id}`, { token: bob.token, method: 'DELETE' }, 204);
  });

  it('refuses a bad platform or an empty token with 422', async () => {
    const user = await createUser('customer');
    await callJson('/v1/me/devices', { token: user.token, body: { pushToken: uniqueToken(), platform: 'symbian' } }, 422);
    await callJson('/v1/me/devices', { token: user.token, body: { pushToken: '', platform: 'web' } }, 422);
    expect(await db().select().from(devices).where(eq(devices.userId, user.userId))).toHaveLength(0);
  });
});
