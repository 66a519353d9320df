/**
 * Delivery proof photos taken by the driver at the door (POST
 * /v1/orders/{id}/proof-photos). The image itself is in the PROOF_PHOTOS R2
 * bucket under `object_key`; this row is what makes a photo ours: /deliver
 * accepts a photo URL only if it names a row of the same order, and serving
 * it checks the caller against the order. A photo of someone's door is
 * personal data: rows and objects are deleted 30 days after upload (the
 * minute cron) and on the customer's erasure (docs/decisions/0070).
 */
import { index, integer, pgTable, text } from 'drizzle-orm/pg-core';
import { createdAt, idColumn } from './columns';
import { drivers } from './drivers';
import { orders } from './orders';

export const proofPhotos = pgTable(
  'proof_photos',
  {
    id: idColumn(),
    orderId: text('order_id')
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    driverId: text('driver_id').references(() => drivers.id, { onDelete: 'set null' }),
    objectKey: text('object_key').notNull().unique(),
    /** Sniffed from the bytes, not taken from the request: image/jpeg, image/png or image/webp. */
    contentType: text('content_type').notNull(),
    bytes: integer('bytes').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('proof_photos_order_idx').on(t.orderId), index('proof_photos_created_at_idx').on(t.createdAt)],
);

export type ProofPhoto = typeof proofPhotos.$inferSelect;
