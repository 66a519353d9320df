/**
 * The provider clients in Node against the fakes: the twilio SDK through the
 * fetch-based httpClient, the FCM access token cached until it expires, and
 * the Postmark error mapping (4xx permanent, 5xx retried).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFcmSender, clearFcmTokenCache, parseServiceAccount } from '../../workers/providers/messaging/fcm';
import { createPostmarkSender } from '../../workers/providers/messaging/postmark';
import { createTwilioSender } from '../../workers/providers/messaging/twilio';
import { DeliveryError } from '../../workers/providers/messaging/errors';
import { startNotificationFakes, type NotificationFakes } from '../../fakes/notifications';

let fakes: NotificationFakes;
const twilio = { accountSid: 'AC0123456789abcdef0123456789abcdef', authToken: 'unit-twilio-token' };

beforeAll(async () => {
  fakes = await startNotificationFakes({ twilio, emailServerToken: 'unit-postmark-token' });
});
afterAll(() => fakes.stop());

describe('twilio SDK over fetch', () => {
  it('sends through the SDK to TWILIO_API_BASE with Basic auth and maps Twilio errors', async () => {
    const sender = await createTwilioSender({ ...twilio, apiBase: fakes.twilio.url, from: '+15005550006' });
    const sent = await sender.send({ to: '+33612345678', body: 'Bonjour', statusCallback: 'https://delivery.example.com/v1/webhooks/twilio/status' });
    expect(sent.id).toMatch(/^SM[0-9a-f]{32}$/);
    expect(fakes.twilio.messages.at(-1)).toMatchObject({ sid: sent.id, to: '+33612345678', from: '+15005550006', body: 'Bonjour' });
    const bad = await sender.send({ to: '12', body: 'x' }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(DeliveryError);
    expect(bad).toMatchObject({ permanent: true, httpStatus: 400, code: '21211' });
    const wrongToken = await createTwilioSender({ ...twilio, authToken: 'nope', apiBase: fakes.twilio.url, from: '+15005550006' });
    expect(await wrongToken.send({ to: '+33612345678', body: 'x' }).catch((e: unknown) => e)).toMatchObject({ httpStatus: 401, code: '20003' });
  });

  it('treats a 5xx and an unreachable host as retryable', async () => {
    fakes.twilio.faults.push({ match: '', remaining: 1, status: 502, mode: 'status' });
    const sender = await createTwilioSender({ ...twilio, apiBase: fakes.twilio.url, from: '+15005550006' });
    expect(await sender.send({ to: '+33612345678', body: 'x' }).catch((e: unknown) => e)).toMatchObject({ permanent: false, httpStatus: 502 });
    const down = await createTwilioSender({ ...twilio, apiBase: 'http://127.0.0.1:9', from: '+15005550006' });
    expect(await down.send({ to: '+33612345678', body: 'x' }).catch((e: unknown) => e)).toMatchObject({ permanent: false });
  });
});

describe('FCM HTTP v1', () => {
  it('exchanges the service-account JWT once and reuses the access token until it expires', async () => {
    clearFcmTokenCache();
    const serviceAccount = parseServiceAccount(fakes.serviceAccount.json)!;
    const sender = createFcmSender({ serviceAccount, apiBase: fakes.fcm.url, tokenUrl: `${fakes.fcm.url}/token` });
    const before = fakes.fcm.tokenExchanges;
    for (let i = 0; i < 3; i++) await sender.send({ token: `device-${i}`, title: 't', body: 'b', data: { k: 'v' } });
    expect(fakes.fcm.tokenExchanges - before).toBe(1);
    expect(fakes.fcm.messages.slice(-3).map((m) => m.token)).toEqual(['device-0', 'device-1', 'device-2']);
  });

  it('refreshes the token when FCM says it is no longer valid', async () => {
    clearFcmTokenCache();
    const serviceAccount = parseServiceAccount(fakes.serviceAccount.json)!;
    const sender = createFcmSender({ serviceAccount, apiBase: fakes.fcm.url, tokenUrl: `${fakes.fcm.url}/token` });
    await sender.send({ token: 'device-a', title: 't', body: 'b' });
    fakes.fcm.faults.push({ match: 'device-b', remaining: 1, status: 401, mode: 'status' });
    const before = fakes.fcm.tokenExchanges;
    await sender.send({ token: 'device-b', title: 't', body: 'b' });
    expect(fakes.fcm.tokenExchanges - before).toBe(1);
  });

  it('is refused by the token endpoint when the JWT is signed with another key', async () => {
    clearFcmTokenCache();
    const { generateServiceAccount } = await import('../../fakes/fcm/service-account');
    const impostor = parseServiceAccount(generateServiceAccount().json)!;
    const sender = createFcmSender({ serviceAccount: { ...impostor, client_email: fakes.serviceAccount.clientEmail }, apiBase: fakes.fcm.url, tokenUrl: `${fakes.fcm.url}/token` });
    expect(await sender.send({ token: 'x', title: 't', body: 'b' }).catch((e: unknown) => e)).toMatchObject({ httpStatus: 400, code: 'invalid_grant', permanent: true });
  });

  it('reports an unregistered token as such', async () => {
    clearFcmTokenCache();
    const sender = createFcmSender({ serviceAccount: parseServiceAccount(fakes.serviceAccount.json)!, apiBase: fakes.fcm.url, tokenUrl: `${fakes.fcm.url}/token` });
    expect(await sender.send({ token: 'unregistered-1', title: 't', body: 'b' }).catch((e: unknown) => e)).toMatchObject({ code: 'UNREGISTERED', permanent: true, httpStatus: 404 });
  });
});

describe('Postmark', () => {
  const sender = () => createPostmarkSender({ apiBase: fakes.email.url, serverToken: 'unit-postmark-token', from: 'Delivery <notifications@delivery.example.com>' });
  it('sends and returns the MessageID', async () => {
    const sent = await sender().send({ to: 'zoe@example.test', subject: 'Hi', text: 'Body', tag: 'customer.order.placed' });
    expect(fakes.email.emails.at(-1)).toMatchObject({ messageId: sent.id, to: 'zoe@example.test', subject: 'Hi', tag: 'customer.order.placed', messageStream: 'outbound' });
  });
  it('maps an inactive recipient (422) to permanent and a 500 to retryable', async () => {
    expect(await sender().send({ to: 'gone@inactive.test', subject: 's', text: 't' }).catch((e: unknown) => e)).toMatchObject({ permanent: true, httpStatus: 422, code: '406' });
    fakes.email.faults.push({ match: '', remaining: 1, status: 500, mode: 'status' });
    expect(await sender().send({ to: 'zoe@example.test', subject: 's', text: 't' }).catch((e: unknown) => e)).toMatchObject({ permanent: false, httpStatus: 500 });
  });
});
