/**
 * GDPR rights of the signed-in user (docs/decisions/0004 says where personal
 * data lives, so both operations are plain queries):
 * - export (Art. 15/20): everything held about the caller, machine-readable;
 * - erasure (Art. 17): personal data deleted or blanked in one transaction;
 *   orders, payments and logs kept for legal reasons stay, and the user id they
 *   carry then names nobody.
 */
import { and, asc, desc, eq, inArray, notInArray, sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { OPEN_STATUSES } from '../../domain/order';
import {
  auditLog, deliveryProofs, devices, drivers, merchantMembers, notificationPreferences, orderContacts, orderItems, orderMessages, orders,
  orderStatusEvents, passwordCredentials, payments, proofPhotos, refreshTokens, refunds, userProfiles, users,
} from '../../db/schema/index';
import { problems } from '../problem';
import { endAccount, type RevocationDeps } from './auth/revocation';
import { deleteProofPhotosOfCustomer } from './proof-photos/store';
import { proofPhotoUrl } from './proof-photos/urls';

export async function exportPersonalData(db: Database, userId: string, publicBaseUrl: string) {
  const [user] = await db.select().from(users).where(eq(users.id, userId));
  if (!user || user.status !== 'active') return null;
  const [profile] = await db.select().from(userProfiles).where(eq(userProfiles.userId, userId));
  const [preferences] = await db.select().from(notificationPreferences).where(eq(notificationPreferences.userId, userId));
  const [driver] = await db.select().from(drivers).where(eq(drivers.userId, userId));
  const memberships = await db.select().from(merchantMembers).where(eq(merchantMembers.userId, userId));
  const deviceRows = await db
    .select({ id: devices.id, platform: devices.platform, createdAt: devices.createdAt })
    .from(devices)
    .where(eq(devices.userId, userId));
  const orderRows = await db
    .select()
    .from(orders)
    .where(driver ? sql`${orders.customerId} = ${userId} or ${orders.driverId} = ${driver.id}` : eq(orders.customerId, userId))
    .orderBy(desc(orders.createdAt))
    .limit(10_000);
  const ids = orderRows.map((o) => o.id);
  const [items, contacts, history, paymentRows, proofs, photos, messages] = ids.length
    ? await Promise.all([
        db.select().from(orderItems).where(inArray(orderItems.orderId, ids)),
        db.select().from(orderContacts).where(inArray(orderContacts.orderId, ids)),
        db.select().from(orderStatusEvents).where(inArray(orderStatusEvents.orderId, ids)),
        db.select().from(payments).where(inArray(payments.orderId, ids)),
        db.select().from(deliveryProofs).where(inArray(deliveryProofs.orderId, ids)),
        db.select().from(proofPhotos).where(inArray(proofPhotos.orderId, ids)),
        db.select().from(orderMessages).where(inArray(orderMessages.orderId, ids)).orderBy(asc(orderMessages.createdAt), asc(orderMessages.id)),
      ])
    : [[], [], [], [], [], [], []];
  const refundRows = paymentRows.length ? await db.select().from(refunds).where(inArray(refunds.paymentId, paymentRows.map((p) => p.id))) : [];
  const activity = await db.select().from(auditLog).where(eq(auditLog.actorId, userId)).orderBy(desc(auditLog.at)).limit(1_000);
  return {
    exportedAt: new Date().toISOString(),
    user: { id: user.id, role: user.role, locale: user.locale, createdAt: user.createdAt },
    profile: profile ? { email: profile.email, name: profile.name, phone: profile.phone } : null,
    notificationPreferences: preferences ?? null,
    devices: deviceRows,
    driver: driver ? { id: driver.id, cityId: driver.cityId, vehicle: driver.vehicle, createdAt: driver.createdAt } : null,
    merchantMemberships: memberships.map((m) => ({ merchantId: m.merchantId, role: m.role })),
    orders: orderRows.map((o) => {
      // The delivery contact, the payment and the ID check are the customer's data, not the driver's.
      const own = o.customerId === userId;
      const proof = proofs.find((p) => p.orderId === o.id);
      return {
        id: o.id,
        status: o.status,
        merchantId: o.merchantId,
        totals: { subtotalCents: o.subtotalCents, deliveryFeeCents: o.deliveryFeeCents, taxCents: o.taxCents, totalCents: o.totalCents, currency: o.currency },
        createdAt: o.createdAt,
        items: items.filter((i) => i.orderId === o.id).map((i) => ({ name: i.name, quantity: i.quantity, unitPriceCents: i.unitPriceCents })),
        contact: own ? (contacts.find((c) => c.orderId === o.id) ?? null) : null,
        history: history.filter((h) => h.orderId === o.id).map((h) => ({ status: h.status, dispatch: h.dispatchState, at: h.at })),
        payment: own ? (paymentRows.find((p) => p.orderId === o.id) ?? null) : null,
        // How the handover was proven, and the photos taken at the door.
        deliveryProof: proof
          ? { method: proof.method, at: proof.createdAt, ...(own ? { idCheck: proof.idDocumentType ? { documentType: proof.idDocumentType, birthYear: proof.idBirthYear } : null } : {}) }
          : null,
        proofPhotos: photos
          .filter((p) => p.orderId === o.id)
          .map((p) => ({ url: proofPhotoUrl(publicBaseUrl, o.id, p.id), contentType: p.contentType, bytes: p.bytes, takenAt: p.createdAt })),
        // The order's chat (ADR 0113): the customer's thread with the driver, both sides; a driver's own messages.
        messages: messages
          .filter((m) => m.orderId === o.id && (own ? m.thread === 'customer_driver' : driver !== undefined && m.senderId === driver.id))
          .map((m) => ({ thread: m.thread, from: m.senderRole, mine: own ? m.senderRole === 'customer' : true, body: m.body, at: m.createdAt })),
      };
    }),
    refunds: refundRows,
    activity: activity.map((a) => ({ action: a.action, at: a.at, ip: a.ip })),
  };
}

/**
 * Erases the caller. Refused (409) while the account is needed for an order in progress or owns a business.
 * Every session ends first, and for good once the data is gone (ADR 0082).
 * The delivery proof photos of the caller's orders go first (R2 objects, then their rows): an object store
 * cannot join the transaction, and a photo must not outlive a failed erasure.
 */
export async function erasePersonalData(db: Database, userId: string, proofPhotos: R2Bucket, revocation: RevocationDeps): Promise<void> {
  const [driver] = await db.select({ id: drivers.id }).from(drivers).where(eq(drivers.userId, userId));
  const [open] = await db
    .select({ id: orders.id })
    .from(orders)
    .where(and(inArray(orders.status, OPEN_STATUSES), driver ? sql`(${orders.customerId} = ${userId} or ${orders.driverId} = ${driver.id})` : eq(orders.customerId, userId)))
    .limit(1);
  if (open) throw problems.conflict('order-in-progress', 'An order of yours is still in progress; the account can be erased once it has ended.', { orderId: open.id });
  const [owner] = await db.select().from(merchantMembers).where(and(eq(merchantMembers.userId, userId), eq(merchantMembers.role, 'owner')));
  if (owner) throw problems.conflict('owner-of-business', 'You own a business on the platform: hand it to a member (POST /v1/merchants/{id}/ownership-transfer) or close it (POST /v1/merchants/{id}/close) before erasing the account.', { merchantId: owner.merchantId });
  const memberships = await db.select({ merchantId: merchantMembers.merchantId }).from(merchantMembers).where(eq(merchantMembers.userId, userId));
  const holder = { userId, merchantIds: memberships.map((m) => m.merchantId), ...(driver ? { driverId: driver.id } : {}) };
  // Access ends before anything is deleted (ADR 0082): no request of the account's sessions runs
  // alongside its erasure, and one that cannot be refused (registry down) stops the erasure here.
  await revocation.sessions.revokeAll(userId, 'erasure');
  await deleteProofPhotosOfCustomer(db, proofPhotos, userId);

  await db.transaction(async (tx) => {
    const customerOrders = tx.select({ id: orders.id }).from(orders).where(eq(orders.customerId, userId));
    await tx.delete(userProfiles).where(eq(userProfiles.userId, userId));
    await tx.delete(passwordCredentials).where(eq(passwordCredentials.userId, userId));
    await tx.delete(refreshTokens).where(eq(refreshTokens.userId, userId));
    await tx.delete(devices).where(eq(devices.userId, userId));
    await tx.delete(notificationPreferences).where(eq(notificationPreferences.userId, userId));
    await tx.delete(merchantMembers).where(eq(merchantMembers.userId, userId));
    await tx
      .update(orderContacts)
      .set({ name: null, phone: null, email: null, address: null, instructions: null, erasedAt: new Date() })
      .where(inArray(orderContacts.orderId, customerOrders));
    await tx.delete(deliveryProofs).where(inArray(deliveryProofs.orderId, customerOrders));
    // Order chat (ADR 0113): every thread of the customer's orders, and what the account wrote as a driver.
    await tx.delete(orderMessages).where(inArray(orderMessages.orderId, customerOrders));
    if (driver) await tx.delete(orderMessages).where(eq(orderMessages.senderId, driver.id));
    // About 100 m: enough for statistics, not a home address.
    await tx
      .update(orders)
      .set({ dropoffLat: sql`round(${orders.dropoffLat}::numeric, 3)::float8`, dropoffLng: sql`round(${orders.dropoffLng}::numeric, 3)::float8` })
      .where(eq(orders.customerId, userId));
    await tx.update(auditLog).set({ ip: null }).where(eq(auditLog.actorId, userId));
    if (driver) await tx.update(drivers).set({ active: false }).where(eq(drivers.id, driver.id));
    await tx.update(users).set({ status: 'erased', erasedAt: new Date() }).where(and(eq(users.id, userId), notInArray(users.status, ['erased'])));
  });
  // Then for good: any session opened meanwhile ends too, none opens again, and live sockets close.
  await endAccount(revocation, holder);
}
