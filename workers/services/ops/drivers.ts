/**
 * Operators and drivers (docs/decisions/0112): set a driver offline, send a
 * driver a message. A driver's live connection is on one of their city's
 * shards (the one of their position), so each call goes to every shard of
 * the city; one cell per city (the default) is one call. Both are audited;
 * a message's text is not kept in the audit log (it outlives erasure), only
 * its length.
 */
import { eq } from 'drizzle-orm';
import { devices, drivers } from '../../../db/schema/index';
import { log } from '../../../domain/log';
import { problems } from '../../problem';
import { buildSenders } from '../../queue/senders';
import { recordAudit, type AuditContext } from '../audit';
import { cityShards, loadCityGeometry } from '../city-shard-client';
import type { CommandContext } from '../orders/commands/context';

async function driverAndShards(cx: CommandContext, driverId: string) {
  const [driver] = await cx.db.select({ id: drivers.id, userId: drivers.userId, cityId: drivers.cityId }).from(drivers).where(eq(drivers.id, driverId));
  if (!driver) throw problems.notFound('No such driver.');
  const city = await loadCityGeometry(cx.db, driver.cityId);
  if (!city) throw problems.internal();
  return { driver, shards: cityShards(cx.env, city) };
}

/** The driver gets no offer until they go online again; an order they hold stays theirs. Answers whether they were online. */
export async function operatorSetOffline(cx: CommandContext, input: { driverId: string; reason: string; audit: AuditContext }): Promise<{ wasOnline: boolean }> {
  const { shards } = await driverAndShards(cx, input.driverId);
  const known = await Promise.all(shards.map((s) => s.stub.operatorOffline(input.driverId, input.reason)));
  const wasOnline = known.some(Boolean);
  await recordAudit(cx.db, {
    ...input.audit,
    action: 'driver.set_offline',
    target: { type: 'driver', id: input.driverId },
    metadata: { reason: input.reason, before: { known: wasOnline }, after: { available: false } },
  });
  return { wasOnline };
}

/**
 * On the driver's socket when one is open, and as a push to their devices
 * (best effort, in waitUntil: the socket is the way that must work; a push
 * that fails is logged, not retried).
 */
export async function operatorMessageDriver(cx: CommandContext, input: { driverId: string; text: string; audit: AuditContext }): Promise<{ live: boolean; pushDevices: number }> {
  const { driver, shards } = await driverAndShards(cx, input.driverId);
  const [live, tokens] = await Promise.all([
    Promise.all(shards.map((s) => s.stub.messageDriver(input.driverId, input.text))).then((r) => r.some(Boolean)),
    cx.db.select({ token: devices.pushToken }).from(devices).where(eq(devices.userId, driver.userId)),
  ]);
  await recordAudit(cx.db, {
    ...input.audit,
    action: 'driver.message',
    target: { type: 'driver', id: input.driverId },
    metadata: { length: input.text.length, live, pushDevices: tokens.length },
  });
  if (tokens.length > 0) {
    const push = buildSenders(cx.env).push;
    cx.ctx.waitUntil(
      Promise.allSettled(tokens.map((t) => push.send({ token: t.token, title: 'Message from operations', body: input.text, data: { type: 'ops.message' }, collapseKey: 'ops.message' }))).then((results) => {
        const failed = results.filter((r) => r.status === 'rejected').length;
        if (failed > 0) log.warn('ops message: push failed', { driverId: input.driverId, failed });
      }),
    );
  }
  return { live, pushDevices: tokens.length };
}
