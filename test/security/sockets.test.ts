/**
 * Abuse limits of every live socket (durable-objects/socket-limits.ts):
 * frame size, frame rate per socket and sockets per principal, each refusal
 * a close code (1009 too big, 1008 too fast) or, before the upgrade, a 429
 * problem with Retry-After. Before: the merchant feed took 2 MiB frames and
 * any number of sockets per merchant, watchers took 16 KiB frames, nothing
 * bounded the rate, and the 21st watcher got `429 text/plain`.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, connectDriver, freshShard, watchOrder } from '../workers/city-shard-helpers';
import { api, createCity, createMerchant, createShop, orderBody, placeOrder, type Customer, type TestMerchant } from '../workers/helpers/commerce';

let merchant: TestMerchant;
let customer: Customer;
let product: string;

beforeAll(async () => {
  ({ merchant, customer, product } = await createShop(1000));
});

async function upgradeThroughApi(path: string, token: string): Promise<Response> {
  return api(path, { token, headers: { Upgrade: 'websocket' } });
}

async function expectTooMany(res: Response) {
  expect(res.status).toBe(429);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  const body = await res.json<{ type: string; status: number; detail: string }>();
  expect(body).toMatchObject({ status: 429, type: expect.stringMatching(/rate-limited$/) });
  return body;
}

describe('V11.1.4 API4:2023 unrestricted resource consumption: sockets per principal', () => {
  it('the merchant feed: 10 sockets per merchant, the 11th is a 429 problem with Retry-After', async () => {
    const m = await createMerchant(await createCity());
    const open: WebSocket[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await upgradeThroughApi(`/v1/merchants/${m.merchantId}/live`, m.ownerToken);
      expect(res.status, `socket ${i + 1}`).toBe(101);
      res.webSocket!.accept();
      open.push(res.webSocket!);
    }
    const body = await expectTooMany(await upgradeThroughApi(`/v1/merchants/${m.merchantId}/live`, m.ownerToken));
    expect(body.detail).toMatch(/10 live feed connections/);
    // Another merchant is not affected; a closed socket frees its place.
    const other = await upgradeThroughApi(`/v1/merchants/${merchant.merchantId}/live`, merchant.ownerToken);
    expect(other.status).toBe(101);
    other.webSocket!.accept();
    other.webSocket!.close(1000, 'done');
    open.pop()!.close(1000, 'done');
    await expect.poll(async () => (await upgradeThroughApi(`/v1/merchants/${m.merchantId}/live`, m.ownerToken)).status, { timeout: 3_000 }).toBe(101);
    for (const ws of open) ws.close(1000, 'done');
  });

  it('an order’s watchers: 20, the 21st is a 429 problem with Retry-After (was 429 text/plain)', async () => {
    const created = await placeOrder(customer.token, orderBody(merchant.merchantId, [{ productId: product, quantity: 1 }]));
    const path = `/v1/orders/${created.order.id}/live`;
    const open: WebSocket[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await upgradeThroughApi(path, customer.token);
      expect(res.status, `watcher ${i + 1}`).toBe(101);
      res.webSocket!.accept();
      open.push(res.webSocket!);
    }
    const body = await expectTooMany(await upgradeThroughApi(path, customer.token));
    expect(body.detail).toMatch(/20 live connections per order/);
    for (const ws of open) ws.close(1000, 'done');
  });
});

async function feedClient(): Promise<Client> {
  const res = await upgradeThroughApi(`/v1/merchants/${merchant.merchantId}/live`, merchant.ownerToken);
  expect(res.status).toBe(101);
  return new Client(res.webSocket!);
}

describe('V11.1.4 API4:2023 unrestricted resource consumption: frame size', () => {
  it('the merchant feed closes a socket sending more than 4 KiB with 1009 (it took 2 MiB)', async () => {
    const feed = await feedClient();
    feed.send(JSON.stringify({ type: 'ping', pad: 'x'.repeat(5 * 1024) }));
    expect(await feed.closed).toMatchObject({ code: 1009 });
  });

  it('an order watcher: 4 KiB (was 16 KiB); a driver: 16 KiB', async () => {
    const { stub } = freshShard();
    const watcher = await watchOrder(stub, 'ord_big');
    watcher.send({ type: 'ping', pad: 'y'.repeat(8 * 1024) });
    expect(await watcher.closed).toMatchObject({ code: 1009 });
    const driver = await connectDriver(stub, 'drv_big');
    await driver.next('session');
    driver.send({ type: 'offer.decline', offerId: 'ofr_x', reason: 'z'.repeat(8 * 1024) }); // under 16 KiB: answered, not closed
    expect(await driver.next('error')).toMatchObject({ code: 'invalid_message' });
    driver.send({ type: 'offer.decline', offerId: 'ofr_x', reason: 'z'.repeat(17 * 1024) });
    expect(await driver.closed).toMatchObject({ code: 1009 });
  });
});

describe('V11.1.4 API4:2023 unrestricted resource consumption: frames per socket', () => {
  it('a driver sending far faster than any app is closed with 1008; a normal pace is not', async () => {
    const { stub } = freshShard();
    const calm = await connectDriver(stub, 'drv_calm');
    await calm.next('session');
    for (let i = 0; i < 30; i++) calm.send({ type: 'ping', v: 1 });
    for (let i = 0; i < 30; i++) await calm.next('pong');

    const flood = await connectDriver(stub, 'drv_flood');
    await flood.next('session');
    for (let i = 0; i < 200; i++) flood.send({ type: 'ping', v: 1 });
    expect(await flood.closed).toMatchObject({ code: 1008 });
    // The other driver's socket is untouched.
    calm.send({ type: 'ping', v: 1 });
    expect(await calm.next('pong')).toMatchObject({ type: 'pong' });
  });

  it('the merchant feed and an order watcher: pings that wake the object are counted too', async () => {
    const feed = await feedClient();
    for (let i = 0; i < 100; i++) feed.send('{ "type": "ping" }');
    expect(await feed.closed).toMatchObject({ code: 1008 });
    const { stub } = freshShard();
    const watcher = await watchOrder(stub, 'ord_flood');
    for (let i = 0; i < 100; i++) watcher.send('{ "type": "ping" }');
    expect(await watcher.closed).toMatchObject({ code: 1008 });
  });
});
