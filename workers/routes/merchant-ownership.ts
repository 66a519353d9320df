/**
 * POST /v1/merchants/{id}/ownership-transfer and POST /v1/merchants/{id}/close
 * (ADR 0089): the owner hands the business to a member, or closes it, after
 * which it can erase its own account. Who may call: the owner of {id}, who
 * confirms with its password. Staff and API keys of {id}: 403; another
 * merchant: 404; other roles: 403. The rules are in services/merchants/ownership.ts.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppEnv } from '../env';
import { assertMerchantAccess, principalOf, requireAuth, sessionsOf, withSessions } from '../middleware/auth';
import { clientIp, limiterOf, throttled, withLimiter } from '../middleware/rate-limit';
import { createRouter, problemResponses } from '../openapi';
import { Problem, problems } from '../problem';
import { MerchantIdParam } from '../schemas/catalog';
import { IdText } from '../schemas/text';
import { actorOf } from '../services/audit';
import { MAX_PASSWORD_LENGTH } from '../services/auth/password';
import { reauthenticate } from '../services/auth/reauthenticate';
import { liveSocketCloser } from '../services/auth/socket-revocation';
import { merchantFeedStub } from '../services/merchant-feed';
import { closeBusiness, transferOwnership } from '../services/merchants/ownership';
import { log } from '../../domain/log';

const who = 'Who may call: the owner of {id}, confirming with its password (403 `wrong-password`; 5 wrong ones in 15 minutes: 429). Staff and API keys of {id}: 403; another merchant: 404; other roles: 403.';

const PasswordField = z.string().min(1).max(MAX_PASSWORD_LENGTH).openapi({ description: "The owner's password, asked again: this cannot be undone by the caller." });

const TransferBody = z
  .object({
    toUserId: IdText.openapi({ description: 'A member of the business (manager or staff, see GET /v1/merchants/{id}/staff) with an active account.', example: 'usr_0h3k9x2m4p6r8t0v2x4z' }),
    password: PasswordField,
  })
  .openapi('OwnershipTransferRequest');

const TransferSchema = z
  .object({
    merchantId: z.string(),
    ownerId: z.string().openapi({ description: 'The new owner.' }),
    previousOwnerId: z.string(),
    previousOwnerRole: z.literal('manager').openapi({ description: 'The former owner stays a member, as a manager; the new owner may remove it.' }),
  })
  .openapi('OwnershipTransfer');

const CloseBody = z.object({ password: PasswordField }).openapi('BusinessClosureRequest');

const ClosureSchema = z
  .object({
    merchantId: z.string(),
    closedAt: z.string().openapi({ format: 'date-time' }),
    membersRemoved: z.number().int().openapi({ description: 'Every membership ended, the owner’s included; each member’s sessions ended.' }),
    apiKeysRevoked: z.number().int(),
    webhooksDisabled: z.number().int(),
  })
  .openapi('BusinessClosure');

const transfer = createRoute({
  method: 'post',
  path: '/v1/merchants/{id}/ownership-transfer',
  operationId: 'transferOwnership',
  tags: ['Merchants'],
  summary: 'Hand the business over to one of its members',
  description:
    `${who} The member becomes the owner and the caller a manager, at once and in one step (no acceptance: the member already works for the business; settle the handover with them first). ` +
    'Every session of both accounts ends (access tokens 401 from the next request, live sockets closed with 4401): each signs in again with the new role. ' +
    'The member must belong to {id} with an active account (else 404); handing it to yourself is 409 `already-owner`; a closed business 409 `merchant-closed`. Audited (merchant.ownership_transfer). Afterwards the former owner may leave the business or erase its account (DELETE /v1/me).',
  middleware: [requireAuth('merchant')] as const,
  request: { params: MerchantIdParam, body: { required: true, content: { 'application/json': { schema: TransferBody } } } },
  responses: {
    200: { description: 'Transferred', content: { 'application/json': { schema: TransferSchema } } },
    ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 429, 503),
  },
});

const close = createRoute({
  method: 'post',
  path: '/v1/merchants/{id}/close',
  operationId: 'closeMerchant',
  tags: ['Merchants'],
  summary: 'Close the business for good',
  description:
    `${who} Refused with 409 \`open-orders\` (with \`openOrders\` and up to 20 \`orderIds\`) while any order of the business is still open: finish, reject or cancel them first — closure never cancels or refunds on its own. ` +
    'Then, in one transaction: the business stops taking orders for good (`open` false, hidden from the directory), every membership ends — the owner’s too — and every member’s sessions end (401 from the next request; live feed sockets, API keys’ included, close with 4401), its API keys are revoked and its webhooks disabled. Orders, payments and the audit trail are kept. ' +
    'A business already closed: 409 `merchant-closed`. Audited (merchant.close). The former owner can then erase its account (DELETE /v1/me).',
  middleware: [requireAuth('merchant')] as const,
  request: { params: MerchantIdParam, body: { required: true, content: { 'application/json': { schema: CloseBody } } } },
  responses: {
    200: { description: 'Closed', content: { 'application/json': { schema: ClosureSchema } } },
    ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 429, 503),
  },
});

/** The owner's password, asked again; the caller is a user (the capability excludes API keys). */
async function confirmOwner(c: Context<AppEnv>, merchantId: string, password: string) {
  const principal = principalOf(c);
  assertMerchantAccess(principal, merchantId, 'ownership');
  if (principal.type !== 'user') throw problems.forbidden();
  const check = await withLimiter(() => reauthenticate({ db: c.var.db(), limiter: limiterOf(c) }, principal.userId, password), 'This change is briefly unavailable; try again shortly.');
  if (check.kind === 'throttled') throttled(check.retryAfterSeconds);
  if (check.kind !== 'ok') throw new Problem(403, 'wrong-password', 'The password is incorrect.');
  const db = c.var.db();
  return { principal, db, revocation: { sessions: sessionsOf(c), sockets: liveSocketCloser(c.env, db) }, audit: { actor: actorOf(principal), ip: clientIp(c), requestId: c.var.requestId } };
}

const closedProblem = () => problems.conflict('merchant-closed', 'This business is closed.');

export const merchantOwnershipRoutes = createRouter()
  .openapi(transfer, async (c) => {
    const { id } = c.req.valid('param');
    const { toUserId, password } = c.req.valid('json');
    const { principal, db, revocation, audit } = await confirmOwner(c, id, password);
    const outcome = await withSessions(() => transferOwnership(db, id, principal.userId, toUserId, audit, revocation));
    switch (outcome.kind) {
      case 'not_found':
        throw problems.notFound('No such merchant.');
      case 'closed':
        throw closedProblem();
      case 'not_owner':
        throw problems.forbidden();
      case 'self':
        throw problems.conflict('already-owner', 'You already own this business.');
      case 'not_member':
        throw problems.notFound('No such member of this business.');
      case 'ok':
        return c.json({ merchantId: outcome.merchantId, ownerId: outcome.ownerId, previousOwnerId: outcome.previousOwnerId, previousOwnerRole: 'manager' as const }, 200);
    }
  })
  .openapi(close, async (c) => {
    const { id } = c.req.valid('param');
    const { password } = c.req.valid('json');
    const { db, revocation, audit } = await confirmOwner(c, id, password);
    const outcome = await withSessions(() => closeBusiness(db, id, audit, revocation));
    switch (outcome.kind) {
      case 'not_found':
        throw problems.notFound('No such merchant.');
      case 'closed':
        throw closedProblem();
      case 'open_orders':
        throw problems.conflict('open-orders', 'Orders of this business are still open: finish, reject or cancel them before closing it.', {
          openOrders: outcome.count,
          orderIds: outcome.orderIds,
        });
      case 'ok':
        try {
          // Members' sockets closed with their sessions; API keys' sockets close here.
          await merchantFeedStub(c.env, id).closeAll('business closed');
        } catch (error) {
          log.warn('business closed: feed sockets not closed', { merchantId: id, error });
        }
        return c.json(
          { merchantId: id, closedAt: outcome.closedAt.toISOString(), membersRemoved: outcome.membersRemoved, apiKeysRevoked: outcome.apiKeysRevoked, webhooksDisabled: outcome.webhooksDisabled },
          200,
        );
    }
  });
