/**
 * Runs the authorization matrix (authz-matrix.table.ts): every route the app
 * serves × every role × own/other object → the expected status. How to add a
 * route: see the comment at the top of the table.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../workers/app';
import { call, randomIp } from './auth-helpers';
import { MATRIX, PARAMS, ROLES, type Cell, type ResolveContext, type Role, type Row, type Which } from './authz-matrix.table';
import { buildWorld, type World } from './authz-matrix.world';

/** Every route the app serves, as `METHOD /path/:param` (middleware-only entries are `ALL`). */
function servedRoutes(): Set<string> {
  return new Set(
    createApp()
      .routes.filter((r) => r.method !== 'ALL')
      .map((r) => `${r.method} ${r.path}`),
  );
}

const served = servedRoutes();

function tokenOf(world: World, role: Role): string | undefined {
  switch (role) {
    case 'anonymous':
      return undefined;
    case 'customer':
      return world.customer.accessToken;
    case 'merchantOwner':
      return world.owner.accessToken;
    case 'merchantStaff':
      return world.staff.accessToken;
    case 'merchantApiKey':
      return world.apiKey.key;
    case 'driver':
      return world.driver.accessToken;
    case 'ops':
      return world.ops.accessToken;
  }
}

async function fillPath(template: string, ctx: ResolveContext): Promise<string> {
  const segments = template.split('/');
  const out: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (!segment.startsWith(':')) {
      out.push(segment);
      continue;
    }
    const name = segment.slice(1);
    const key = `${segments[i - 1]}/:${name}`;
    const resolve = PARAMS[key];
    if (!resolve) throw new Error(`No resolver for path parameter '${key}' (route ${template}): add one to PARAMS in authz-matrix.table.ts`);
    // A row's own business (Row.freshOwnBusiness) has set its params already.
    const value = ctx.params[name] ?? (await resolve(ctx));
    ctx.params[name] = value;
    out.push(encodeURIComponent(value));
  }
  return out.join('/');
}

const expectedFor = (cell: Cell, which: Which) => (typeof cell === 'number' ? cell : which === 'own' ? cell[0] : cell[1]);

async function runRow(world: World, key: string, entry: Row) {
  const [method, template] = key.split(' ') as [string, string];
  const hasParams = template.includes('/:');
  const actual: Record<string, number> = {};
  const expected: Record<string, number> = {};
  for (const role of ROLES) {
    const cell = entry.cells[role];
    if (!hasParams && typeof cell !== 'number') throw new Error(`${key}: an [own, other] cell for ${role} on a route without an object`);
    for (const which of hasParams ? (['own', 'other'] as const) : (['own'] as const)) {
      const ctx: ResolveContext = { world, role, which, route: key, params: {} };
      const business = entry.ownBusinessOf && role === 'merchantOwner' && which === 'own' ? await entry.ownBusinessOf(ctx) : undefined;
      if (business) Object.assign(ctx.params, business.params);
      const query = entry.queryOf ? `?${new URLSearchParams(entry.queryOf(ctx))}` : '';
      const path = (await fillPath(template, ctx)) + query;
      const body = entry.bodyOf ? await entry.bodyOf(ctx) : undefined;
      const headers = entry.headersOf ? entry.headersOf(ctx) : undefined;
      const token = business ? business.token : entry.callerOf ? await entry.callerOf(ctx) : tokenOf(world, role);
      const res = await call(path, { method, ip: randomIp(), ...(token ? { token } : {}), ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) });
      await res.arrayBuffer();
      const label = hasParams ? `${role} (${which})` : role;
      actual[label] = res.status;
      expected[label] = expectedFor(cell, which);
    }
  }
  expect(actual, `${key}: status by role (left: what the server answered)`).toEqual(expected);
}

describe('authorization matrix', () => {
  it('has exactly one line for every route the app serves', () => {
    const missing = [...served].filter((route) => !(route in MATRIX)).sort();
    const stale = Object.keys(MATRIX).filter((route) => !served.has(route)).sort();
    expect(
      { missing, stale },
      'Routes without a line in test/workers/authz-matrix.table.ts (missing) or lines for routes no longer served (stale). See the comment at the top of that file.',
    ).toEqual({ missing: [], stale: [] });
  });

  describe('each route, each role, own and other object', () => {
    let world: World;
    beforeAll(async () => {
      world = await buildWorld();
    }, 60_000);

    for (const [key, entry] of Object.entries(MATRIX)) {
      it.runIf(served.has(key))(key, () => runRow(world, key, entry), 60_000);
    }
  });
});
