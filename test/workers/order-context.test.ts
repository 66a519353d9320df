/**
 * The two one-statement order reads the hot paths run (issue 14: their
 * related rows come as scalar subqueries, not joins). The context every
 * notification is written from (workers/services/notifications/recipients.ts):
 * the order, its contact unless erased, its merchant's name, its city's zone
 * and its driver's first name. The detail every order answer is made from
 * (workers/services/orders/repository.ts): the order with its contact, items,
 * driver and delivery proof.
 */
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { cities, deliveryProofs, merchantMembers, merchants, notificationPreferences, orderContacts, orderItems, users } from '../../db/schema/index';
import { customerOf, loadOrderContext, merchantStaffOf } from '../../workers/services/notifications/recipients';
import { loadOrderDetail } from '../../workers/services/orders/repository';
import { createDriver, createMerchant, createOrder, createUser, db, uniqueToken } from './helpers/notification-world';

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

describe('order context with the accounts an event is for', () => {
  it('carries the customer account and the merchant staff, as their own reads find them', async () => {
    const m = await createMerchant(undefined, { pushTokens: [uniqueToken('owner')] });
    const manager = await createUser('merchant', { locale: 'fr', pushTokens: [uniqueToken('mgr-a'), uniqueToken('mgr-b')] });
    const staff = await createUser('merchant');
    const erased = await createUser('merchant');
    await db().insert(merchantMembers).values([
      { merchantId: m.merchantId, userId: manager.userId, role: 'manager' },
      { merchantId: m.merchantId, userId: staff.userId, role: 'staff' },
      { merchantId: m.merchantId, userId: erased.userId, role: 'manager' },
    ]);
    await db().update(users).set({ status: 'erased' }).where(eq(users.id, erased.userId));
    const customer = await createUser('customer', { locale: 'fr-FR', prefs: { sms: false, email: true, push: true }, pushTokens: [uniqueToken('cust')] });
    await db().update(notificationPreferences).set({ phone: '+33611111111' }).where(eq(notificationPreferences.userId, customer.userId));
    const order = await createOrder(m, customer, { contact: { phone: '+33600000045' } });

    const ctx = await loadOrderContext(db(), order.orderId, { customer: true, merchant: true });
    const plain = await loadOrderContext(db(), order.orderId);
    expect(plain).not.toHaveProperty('accounts');
    const alone = { customer: await customerOf(db(), plain!.order, plain!.contact), merchant: await merchantStaffOf(db(), m.merchantId) };
    expect(await customerOf(db(), ctx!.order, ctx!.contact, ctx!.accounts!.customer)).toEqual(alone.customer);
    expect(alone.customer).toEqual([expect.objectContaining({ userId: customer.userId, locale: 'fr', allows: { sms: false, email: true, push: true }, phone: '+33611111111', email: customer.email })]);
    expect(alone.customer[0]!.devices).toHaveLength(1);
    const byId = (list: { userId: string | null }[]) => [...list].sort((a, b) => String(a.userId).localeCompare(String(b.userId)));
    expect(byId(ctx!.accounts!.merchant!)).toEqual(byId(alone.merchant));
    expect(byId(alone.merchant).map((r) => r.userId)).toEqual([m.owner.userId, manager.userId].sort());
    expect(ctx!.accounts!.merchant!.find((r) => r.userId === manager.userId)!.devices).toHaveLength(2);
  });

  it('reads only what was asked for, and an order without a customer account has none', async () => {
    const m = await createMerchant();
    const order = await createOrder(m, null, { contact: { phone: '+33600000046' } });
    const ctx = await loadOrderContext(db(), order.orderId, { customer: true });
    expect(ctx!.accounts).toEqual({ customer: [] });
    // A merchant-created order's customer is the contact they gave.
    expect(await customerOf(db(), ctx!.order, ctx!.contact, ctx!.accounts!.customer)).toEqual([expect.objectContaining({ userId: null, phone: '+33600000046', allows: { sms: true, email: true, push: false } })]);
  });
});

describe('order detail', () => {
  it('reads the order with its contact, items, driver and delivery proof', async () => {
    const m = await createMerchant();
    const driver = await createDriver(m.cityId, { name: 'Amélie Durand-Roy' });
    const order = await createOrder(m, null, { status: 'delivered', driverId: driver.driverId, contact: { name: 'Zoé', phone: '+33600000044' } });
    const [item] = await db().select().from(orderItems).where(eq(orderItems.orderId, order.orderId));
    const [proof] = await db().insert(deliveryProofs).values({ orderId: order.orderId, driverId: driver.driverId, method: 'photo', photoUrl: 'https://photos.example/p1.jpg' }).returning();

    const detail = await loadOrderDetail(db(), order.orderId);
    expect(detail!.order).toMatchObject({ id: order.orderId, status: 'delivered' });
    expect(detail!.contact).toMatchObject({ name: 'Zoé', phone: '+33600000044' });
    expect(detail!.items).toEqual([expect.objectContaining({ id: item!.id, orderId: order.orderId, name: 'Pizza Margherita', quantity: 2, lineTotalCents: 2000 })]);
    expect(detail!.driver).toEqual({ id: driver.driverId, name: 'Amélie Durand-Roy', vehicle: 'bike' });
    expect(detail!.proof).toEqual({ method: 'photo', photoUrl: 'https://photos.example/p1.jpg', at: proof!.createdAt });
    expect(detail!.proof!.at).toBeInstanceOf(Date);
  });

  it('has no driver, no proof and no contact when the order has none, and nothing for an unknown order', async () => {
    const m = await createMerchant();
    const order = await createOrder(m, null);
    await db().delete(orderContacts).where(eq(orderContacts.orderId, order.orderId));
    const detail = await loadOrderDetail(db(), order.orderId);
    expect(detail).toMatchObject({ driver: null, proof: null, contact: null });
    expect(await loadOrderDetail(db(), 'ord_unknown00000000000000')).toBeNull();
  });
});
