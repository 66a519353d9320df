/**
 * /v1/merchants/{id}/staff: the owner adds staff accounts with a narrower role
 * (manager or staff, see MERCHANT_CAPABILITIES), changes their role and
 * removes them. Who may call: the merchant owner of {id}. Staff and API keys of
 * {id} get 403; anyone acting for another merchant gets 404; other roles 403.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { routeResponse } from '../raw-response';
import { OptionalIdempotencyHeaders } from '../schemas/orders';
import { withIdempotency } from './idempotent';
import { assertMerchantAccess, principalOf, requireAuth, sessionsOf, withSessions } from '../middleware/auth';
import { clientIp } from '../middleware/rate-limit';
import { createRouter, problemResponses } from '../openapi';
import { problems } from '../problem';
import { pageQuery } from '../schemas/common';
import { EmailSchema, PasswordSchema, PersonNameSchema, PhoneSchema } from '../schemas/identity';
import { actorOf } from '../services/audit';
import { addStaff, changeStaffRole, listStaff, removeStaff } from '../services/auth/staff';
import { liveSocketCloser } from '../services/auth/socket-revocation';
import { IdText } from '../schemas/text';

const MerchantParam = z.object({
  id: IdText.openapi({ param: { name: 'id', in: 'path' }, example: 'mer_0h3k9x2m4p6r8t0v2x4z' }),
});
const MemberParams = MerchantParam.extend({
  userId: IdText.openapi({ param: { name: 'userId', in: 'path' }, example: 'usr_0h3k9x2m4p6r8t0v2x4z' }),
});

const StaffRoleSchema = z.enum(['manager', 'staff']).openapi({
  description: 'manager: orders, catalog and webhooks; staff: orders only. Neither manages API keys or staff.',
});

const StaffMemberSchema = z
  .object({
    userId: z.string(),
    email: z.string(),
    name: z.string(),
    phone: z.string().nullable(),
    role: z.enum(['owner', 'manager', 'staff']),
    createdAt: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('StaffMember');

const NewStaffSchema = z
  .object({ email: EmailSchema, password: PasswordSchema, name: PersonNameSchema, phone: PhoneSchema.optional(), role: StaffRoleSchema })
  .openapi('NewStaffMember', { description: 'A new account for a member of staff; the owner hands over the initial password.' });

const who = 'Who may call: the merchant owner of {id}. Staff and API keys of {id}: 403; another merchant: 404; other roles: 403.';

const add = createRoute({
  method: 'post',
  path: '/v1/merchants/{id}/staff',
  operationId: 'addStaffMember',
  tags: ['Identity'],
  summary: 'Add a staff account',
  description: `${who} The email must not belong to any account yet (409). Audited (merchant.staff_add). Accepts Idempotency-Key: a retry with the same key and body answers the member first added, byte for byte (\`Idempotent-Replayed: true\`); the same key with another body is a 409 \`idempotency-key-reused\`.`,
  middleware: [requireAuth('merchant')] as const,
  request: { params: MerchantParam, headers: OptionalIdempotencyHeaders, body: { required: true, content: { 'application/json': { schema: NewStaffSchema } } } },
  responses: {
    201: { description: 'The new member', content: { 'application/json': { schema: StaffMemberSchema } } },
    ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422),
  },
});

const list = createRoute({
  method: 'get',
  path: '/v1/merchants/{id}/staff',
  operationId: 'listStaffMembers',
  tags: ['Identity'],
  summary: 'List the members of a merchant (owner included)',
  description: who,
  middleware: [requireAuth('merchant')] as const,
  request: { params: MerchantParam, query: z.object(pageQuery) },
  responses: {
    200: {
      description: 'Members, oldest first',
      content: { 'application/json': { schema: z.object({ items: z.array(StaffMemberSchema), nextCursor: z.string().nullable() }) } },
    },
    ...problemResponses(401, 403, 404, 422),
  },
});

const change = createRoute({
  method: 'patch',
  path: '/v1/merchants/{id}/staff/{userId}',
  operationId: 'updateStaffMember',
  tags: ['Identity'],
  summary: "Change a staff member's role",
  description: `${who} The owner's own role cannot change (409). Every session of the member ends at once (its access tokens get 401 from the next request, its live feed sockets close with 4401), so the new role applies at the next sign-in. Audited (merchant.staff_role_change).`,
  middleware: [requireAuth('merchant')] as const,
  request: {
    params: MemberParams,
    body: { required: true, content: { 'application/json': { schema: z.object({ role: StaffRoleSchema }).openapi('StaffRoleChange') } } },
  },
  responses: {
    200: { description: 'The member', content: { 'application/json': { schema: StaffMemberSchema } } },
    ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422),
  },
});

const remove = createRoute({
  method: 'delete',
  path: '/v1/merchants/{id}/staff/{userId}',
  operationId: 'removeStaffMember',
  tags: ['Identity'],
  summary: 'Remove a staff member',
  description: `${who} The membership ends and every session of the member ends at once (its access tokens get 401 from the next request, its live feed sockets close with 4401); the account stays (it may still sign in, but acts for no business). The owner cannot be removed (409). Audited (merchant.staff_remove).`,
  middleware: [requireAuth('merchant')] as const,
  request: { params: MemberParams },
  responses: {
    204: { description: 'Removed' },
    ...problemResponses(401, 403, 404, 409, 422),
  },
});

const ownerProblem = () => problems.conflict('owner-membership', "The owner's membership cannot be changed or removed.");

export const merchantStaffRoutes = createRouter()
  .openapi(add, async (c) => {
    const { id } = c.req.valid('param');
    const principal = principalOf(c);
    assertMerchantAccess(principal, id, 'staff');
    const body = c.req.valid('json');
    // A raw Response, so a replay is the stored bytes (the password is only in the request's hash, never stored).
    const response = await withIdempotency(c, principal, c.req.valid('header')['idempotency-key'], body, async (tx) => {
      const outcome = await addStaff(tx, id, body, { actor: actorOf(principal), ip: clientIp(c), requestId: c.var.requestId });
      if (outcome.kind === 'email_taken') throw problems.conflict('email-taken', 'An account with this email already exists.');
      return { status: 201, body: outcome.member };
    });
    return routeResponse(add, response);
  })
  .openapi(list, async (c) => {
    const { id } = c.req.valid('param');
    assertMerchantAccess(principalOf(c), id, 'staff');
    const page = await listStaff(c.var.db(), id, c.req.valid('query'));
    if ('kind' in page) throw problems.validation([{ path: 'query.cursor', message: 'Not a cursor from this list.' }]);
    return c.json(page, 200);
  })
  .openapi(change, async (c) => {
    const { id, userId } = c.req.valid('param');
    const principal = principalOf(c);
    assertMerchantAccess(principal, id, 'staff');
    const { role } = c.req.valid('json');
    const db = c.var.db();
    const revocation = { sessions: sessionsOf(c), sockets: liveSocketCloser(c.env, db) };
    const outcome = await withSessions(() => changeStaffRole(db, id, userId, role, { actor: actorOf(principal), ip: clientIp(c), requestId: c.var.requestId }, revocation));
    if (outcome.kind === 'not_found') throw problems.notFound('No such member.');
    if (outcome.kind === 'owner') throw ownerProblem();
    return c.json(outcome.member, 200);
  })
  .openapi(remove, async (c) => {
    const { id, userId } = c.req.valid('param');
    const principal = principalOf(c);
    assertMerchantAccess(principal, id, 'staff');
    const db = c.var.db();
    const revocation = { sessions: sessionsOf(c), sockets: liveSocketCloser(c.env, db) };
    const outcome = await withSessions(() => removeStaff(db, id, userId, { actor: actorOf(principal), ip: clientIp(c), requestId: c.var.requestId }, revocation));
    if (outcome.kind === 'not_found') throw problems.notFound('No such member.');
    if (outcome.kind === 'owner') throw ownerProblem();
    return c.body(null, 204);
  });
