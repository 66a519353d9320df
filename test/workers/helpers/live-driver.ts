/**
 * A real driver of the API with a live channel (GET (WebSocket)
 * /v1/drivers/me/live): created in a city, positioned at `at`, available.
 * The caller closes `socket` when done.
 */
import { expect } from 'vitest';
import { Client } from '../city-shard-helpers';
import { api, createDriver } from './commerce';

export async function liveDriver(cityId: string, at: { lat: number; lng: number }) {
  const driver = await createDriver(cityId);
  const res = await api(`/v1/drivers/me/live?access_token=${driver.token}`, { headers: { Upgrade: 'websocket' } });
  expect(res.status).toBe(101);
  const socket = new Client(res.webSocket!);
  await socket.next('session');
  socket.send({ type: 'location', lat: at.lat, lng: at.lng, at: new Date().toISOString() });
  socket.send({ type: 'availability', available: true });
  await socket.next('session');
  return { ...driver, socket };
}
