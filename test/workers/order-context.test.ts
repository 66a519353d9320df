/**
 * The order context every notification is written from (one statement,
 * workers/services/notifications/recipients.ts): the order, its contact
 * unless erased, its merchant's name, its city's zone and its driver's first
 * name — the merchant, city and driver read as subqueries (issue 14).
 */
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { cities, merchants, orderContacts } from '../../db/schema/index';
import { loadOrderContext } from '../../workers/services/notifications/recipients';
import { createDriver, createMerchant, createOrder, db } from './helpers/notification-world';

describe('order context', () => {
  it('reads the order with its contact, merchant name, city zone and driver first name', async () => {
    const m = await createMerchant();
    await db().update(cities).set({ timezone: 'America/Montreal' }).where(eq(cities.id, m.cityId));
    const [merchant] = await db().select({ name: merchants.name }).from(merchants).where(eq(merchants.id, m.merchantId));
    const driver = await createDriver(m.cityId, { name: 'Amélie Durand-Roy' });
    const order = await createOrder(m, null, { status: 'in_delivery', driverId: driver.driverId, contact: { name: 'Zoé', phone: '+33600000042' } });

    const ctx = await loadOrderContext(db(), order.orderId);
    expect(ctx).toMatchObject({ merchantName: merchant!.name, timezone: 'America/Montreal', driverFirstName: 'Amélie' });
    expect(ctx!.order).toMatchObject({ id: order.orderId, driverId: driver.driverId, status: 'in_delivery' });
    expect(ctx!.order.createdAt).toBeInstanceOf(Date);
    expect(ctx!.contact).toMatchObject({ orderId: order.orderId, name: 'Zoé', phone: '+33600000042', erasedAt: null });
    expect(ctx!.contact!.createdAt).toBeInstanceOf(Date);
  });

  it('has no contact once it is erased, no driver name without a driver, and nothing for an unknown order', async () => {
    const m = await createMerchant();
    const order = await createOrder(m, null, { contact: { phone: '+33600000043' } });
    await db().update(orderContacts).set({ erasedAt: new Date() }).where(eq(orderContacts.orderId, order.orderId));

    const ctx = await loadOrderContext(db(), order.orderId);
    expect(ctx!.contact).toBeNull();
    expect(ctx!.order.driverId).toBeNull();
    expect(ctx).not.toHaveProperty('driverFirstName');
    expect(ctx!.timezone).toBe('Europe/Paris');
    expect(await loadOrderContext(db(), 'ord_unknown00000000000000')).toBeUndefined();
  });
});
