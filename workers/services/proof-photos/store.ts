/**
 * Proof photos in R2 (PROOF_PHOTOS) with one Postgres row each
 * (db/schema/proof-photos.ts). Deleting always removes the objects first and
 * the rows after: a failure in between leaves a row whose object is gone
 * (served as 404, swept again later), never an object nobody knows about.
 */
import { and, asc, count, eq, inArray, lt } from 'drizzle-orm';
import type { Database } from '../../../db/client';
import { newId } from '../../../db/ids';
import { orders, proofPhotos, type ProofPhoto } from '../../../db/schema/index';
import { problems } from '../../problem';
import type { ProofPhotoType } from './image';

/** Retakes are fine; a driver filling the bucket is not. */
export const MAX_PHOTOS_PER_ORDER = 10;
/** A photo of someone's door is kept for disputes this long after upload, then deleted. */
export const PROOF_PHOTO_RETENTION_DAYS = 30;

const objectKeyOf = (orderId: string, photoId: string) => `orders/${orderId}/${photoId}`;

export async function storeProofPhoto(
  /** The database, or the transaction an Idempotency-Key record commits with. */
  db: Pick<Database, 'select' | 'insert'>,
  bucket: R2Bucket,
  photo: { orderId: string; driverId: string | null; contentType: ProofPhotoType; bytes: Uint8Array },
): Promise<ProofPhoto> {
  const [row] = await db.select({ n: count() }).from(proofPhotos).where(eq(proofPhotos.orderId, photo.orderId));
  if ((row?.n ?? 0) >= MAX_PHOTOS_PER_ORDER) {
    throw problems.conflict('too-many-photos', `An order holds at most ${MAX_PHOTOS_PER_ORDER} proof photos.`, { limit: MAX_PHOTOS_PER_ORDER });
  }
  const id = newId('pph');
  const objectKey = objectKeyOf(photo.orderId, id);
  // The object first: a row must never name a photo that was not stored.
  await bucket.put(objectKey, photo.bytes, {
    httpMetadata: { contentType: photo.contentType },
    customMetadata: { orderId: photo.orderId, photoId: id },
  });
  try {
    const [saved] = await db
      .insert(proofPhotos)
      .values({ id, orderId: photo.orderId, driverId: photo.driverId, objectKey, contentType: photo.contentType, bytes: photo.bytes.byteLength })
      .returning();
    return saved!;
  } catch (error) {
    await bucket.delete(objectKey).catch(() => undefined);
    throw error;
  }
}

export async function findProofPhoto(db: Database, orderId: string, photoId: string): Promise<ProofPhoto | null> {
  const [row] = await db.select().from(proofPhotos).where(and(eq(proofPhotos.id, photoId), eq(proofPhotos.orderId, orderId)));
  return row ?? null;
}

/** Deletes the objects, then the rows. R2 deletes up to 1000 keys per call. */
async function deletePhotos(db: Database, bucket: R2Bucket, rows: Pick<ProofPhoto, 'id' | 'objectKey'>[]): Promise<number> {
  for (let i = 0; i < rows.length; i += 1000) await bucket.delete(rows.slice(i, i + 1000).map((r) => r.objectKey));
  if (rows.length > 0) await db.delete(proofPhotos).where(inArray(proofPhotos.id, rows.map((r) => r.id)));
  return rows.length;
}

/** The retention sweep (minute cron): photos uploaded more than 30 days ago, oldest first, a bounded batch per run. */
export async function sweepExpiredProofPhotos(db: Database, bucket: R2Bucket, now = new Date(), batch = 500): Promise<number> {
  const cutoff = new Date(now.getTime() - PROOF_PHOTO_RETENTION_DAYS * 86_400_000);
  const rows = await db
    .select({ id: proofPhotos.id, objectKey: proofPhotos.objectKey })
    .from(proofPhotos)
    .where(lt(proofPhotos.createdAt, cutoff))
    .orderBy(asc(proofPhotos.createdAt))
    .limit(batch);
  return deletePhotos(db, bucket, rows);
}

/** Erasure: every proof photo of the customer's orders. */
export async function deleteProofPhotosOfCustomer(db: Database, bucket: R2Bucket, userId: string): Promise<number> {
  const rows = await db
    .select({ id: proofPhotos.id, objectKey: proofPhotos.objectKey })
    .from(proofPhotos)
    .innerJoin(orders, eq(orders.id, proofPhotos.orderId))
    .where(eq(orders.customerId, userId));
  return deletePhotos(db, bucket, rows);
}
