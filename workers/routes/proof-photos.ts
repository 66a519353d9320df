/**
 * Delivery proof photos (docs/decisions/0070):
 * - POST /v1/orders/{id}/proof-photos: the order's assigned driver, while the
 *   order is in_delivery, uploads the photo as the raw body (JPEG, PNG or
 *   WebP, told by its bytes; at most 5 MiB, the one route past the 64 KiB
 *   body limit). 201 with the URL to send to /deliver as `photoUrl`.
 * - GET /v1/orders/{id}/proof-photos/{photoId}: the image, to the order's
 *   customer, merchant, assigned driver and operators; anyone else 404.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { assertMerchantAccess, principalOf, requireAuth } from '../middleware/auth';
import { createRouter, problemResponses } from '../openapi';
import { Problem, problems } from '../problem';
import { OptionalIdempotencyHeaders, OrderIdParam } from '../schemas/orders';
import { withIdempotency } from './idempotent';
import { isOperator } from '../services/auth/principal';
import { MAX_PROOF_PHOTO_BYTES, mediaTypeOf, PROOF_PHOTO_TYPES, sniffImageType } from '../services/proof-photos/image';
import { findProofPhoto, storeProofPhoto } from '../services/proof-photos/store';
import { proofPhotoPath, proofPhotoUrl } from '../services/proof-photos/urls';
import { loadOrder } from '../services/orders/repository';
import { visibleOrder } from './orders';
import { IdText } from '../schemas/text';
import { routeResponse } from '../raw-response';
import { sha256Hex } from '../services/digest';

const binary = z.string().openapi({ type: 'string', format: 'binary' });
const imageContent = Object.fromEntries(PROOF_PHOTO_TYPES.map((t) => [t, { schema: binary }]));

const ProofPhotoSchema = z
  .object({
    id: z.string().openapi({ example: 'pph_0h3k9x2m4p6r8t0v2x4z' }),
    orderId: z.string(),
    url: z.string().openapi({ description: 'Send this as `photoUrl` to POST /v1/orders/{id}/deliver. Readable by the order’s parties and operators.' }),
    contentType: z.enum(PROOF_PHOTO_TYPES),
    bytes: z.number().int(),
    createdAt: z.string(),
  })
  .openapi('ProofPhoto');

const PhotoParams = OrderIdParam.extend({
  photoId: IdText.openapi({ param: { name: 'photoId', in: 'path' }, example: 'pph_0h3k9x2m4p6r8t0v2x4z' }),
});

const upload = createRoute({
  method: 'post',
  path: '/v1/orders/{id}/proof-photos',
  operationId: 'uploadProofPhoto',
  tags: ['Orders'],
  summary: 'Upload a delivery proof photo',
  description:
    'Who may call: the order’s assigned driver, while the order is in_delivery (otherwise 409 with currentStatus); its customer and merchant 403; anyone else 404. ' +
    `The body is the image itself: JPEG, PNG or WebP, recognised by its first bytes (anything else, or a Content-Type that contradicts them: 415), at most ${MAX_PROOF_PHOTO_BYTES} bytes (413). ` +
    'At most 10 photos per order (409 too-many-photos). Photos are deleted 30 days after upload and when the customer erases their account. ' +
    'Accepts Idempotency-Key: a retry of the same image with the same key answers the photo first stored, byte for byte (`Idempotent-Replayed: true`), and stores no other; the same key with another image is a 409 `idempotency-key-reused`.',
  middleware: [requireAuth('customer', 'merchant', 'driver')] as const,
  request: { params: OrderIdParam, headers: OptionalIdempotencyHeaders, body: { required: true, content: { ...imageContent, 'application/octet-stream': { schema: binary } } } },
  responses: {
    201: { description: 'Stored; `url` is what /deliver accepts as `photoUrl`', content: { 'application/json': { schema: ProofPhotoSchema } } },
    ...problemResponses(401, 403, 404, 409, 413, 415, 422, 503),
  },
});

const fetchPhoto = createRoute({
  method: 'get',
  path: '/v1/orders/{id}/proof-photos/{photoId}',
  operationId: 'getProofPhoto',
  tags: ['Orders'],
  summary: 'A delivery proof photo',
  description: 'Who may call: the order’s customer, merchant (its staff with order access, its API key), assigned driver, and operators; anyone else 404. Deleted photos (after 30 days, or erased): 404. Never cached.',
  middleware: [requireAuth()] as const,
  request: { params: PhotoParams },
  responses: {
    200: { description: 'The image', content: imageContent },
    ...problemResponses(401, 403, 404, 503),
  },
});

const unsupported = (detail: string) => new Problem(415, 'unsupported-image', detail, { extensions: { accepted: [...PROOF_PHOTO_TYPES] } });

export const proofPhotoRoutes = createRouter()
  .openapi(upload, async (c) => {
    const principal = principalOf(c);
    const { id } = c.req.valid('param');
    const db = c.var.db();
    const { detail, relation } = await visibleOrder(db, principal, id);
    if (relation.viewer !== 'driver') throw problems.forbidden('Only the order’s assigned driver takes proof photos.');
    const order = detail.order;
    const declared = mediaTypeOf(c.req.header('content-type'));
    if (declared !== 'application/octet-stream' && !(PROOF_PHOTO_TYPES as readonly string[]).includes(declared)) {
      throw unsupported(`Send the photo as image/jpeg, image/png or image/webp, not ${declared || 'no Content-Type'}.`);
    }
    // The body-limit middleware already refused more than MAX_PROOF_PHOTO_BYTES for this route.
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (bytes.byteLength > MAX_PROOF_PHOTO_BYTES) throw problems.tooLarge(MAX_PROOF_PHOTO_BYTES);
    const sniffed = sniffImageType(bytes);
    if (!sniffed) throw unsupported('The body is not a JPEG, PNG or WebP image.');
    if (declared !== 'application/octet-stream' && declared !== sniffed) throw unsupported(`The body is ${sniffed}, not ${declared} as declared.`);
    // What a retry is compared by: the image's digest, not its bytes.
    const digest = await sha256Hex(bytes);
    let objectKey = null as string | null;
    try {
      const response = await withIdempotency(c, principal, c.req.valid('header')['idempotency-key'], { contentType: sniffed, sha256: digest }, async (tx) => {
        // Checked here, after the key: a retry of an upload that was stored replays it even once the order moved on.
        if (order.status !== 'in_delivery') {
          throw problems.conflict('order-not-in-delivery', `Proof photos are taken while the order is in delivery; it is ${order.status}.`, { currentStatus: order.status });
        }
        const photo = await storeProofPhoto(tx, c.env.PROOF_PHOTOS, { orderId: order.id, driverId: order.driverId, contentType: sniffed, bytes });
        objectKey = photo.objectKey;
        return {
          status: 201,
          body: { id: photo.id, orderId: order.id, url: proofPhotoUrl(c.env.PUBLIC_BASE_URL, order.id, photo.id), contentType: sniffed, bytes: photo.bytes, createdAt: photo.createdAt.toISOString() },
          headers: { Location: proofPhotoPath(order.id, photo.id) },
        };
      });
      return routeResponse(upload, response);
    } catch (error) {
      // The row (or the key's record) did not commit: the object would name nothing.
      if (objectKey) await c.env.PROOF_PHOTOS.delete(objectKey).catch(() => undefined);
      throw error;
    }
  })
  .openapi(fetchPhoto, async (c) => {
    const principal = principalOf(c);
    const { id, photoId } = c.req.valid('param');
    const db = c.var.db();
    if (isOperator(principal)) {
      if (!(await loadOrder(db, id))) throw problems.notFound('No such order.');
    } else {
      const { detail, relation } = await visibleOrder(db, principal, id);
      if (relation.viewer === 'merchant') assertMerchantAccess(principal, detail.order.merchantId, 'orders');
    }
    const photo = await findProofPhoto(db, id, photoId);
    const object = photo ? await c.env.PROOF_PHOTOS.get(photo.objectKey) : null;
    if (!photo || !object) throw problems.notFound('No such photo, or it has been deleted.');
    return routeResponse(fetchPhoto, new Response(object.body, {
      status: 200,
      headers: {
        'Content-Type': photo.contentType,
        'Content-Length': String(object.size),
        'Cache-Control': 'private, no-store',
        'X-Content-Type-Options': 'nosniff',
        'Content-Security-Policy': "default-src 'none'; sandbox",
        'Content-Disposition': `inline; filename="${photo.id}.${photo.contentType.split('/')[1]}"`,
      },
    }));
  });
