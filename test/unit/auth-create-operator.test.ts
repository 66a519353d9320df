import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { openDatabase } from '../../db/client';
import { auditLog, passwordCredentials, userProfiles, users } from '../../db/schema/index';
import { verifyPassword, type StoredHash } from '../../workers/services/auth/password';

const ROOT = path.resolve(import.meta.dirname, '../..');
const db = openDatabase(inject('databaseUrl'), { max: 2 });
afterAll(() => db.$client.end({ timeout: 2 }));

function runCommand(args: string[], env: Record<string, string> = {}) {
  return spawnSync(path.join(ROOT, 'node_modules/.bin/tsx'), ['scripts/create-operator.ts', ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, DATABASE_URL: inject('databaseUrl'), ...env },
    timeout: 60_000,
  });
}

async function accountOf(email: string) {
  const [row] = await db
    .select({ id: users.id, role: users.role, hash: passwordCredentials.hash, algorithm: passwordCredentials.algorithm, params: passwordCredentials.params })
    .from(userProfiles)
    .innerJoin(users, eq(users.id, userProfiles.userId))
    .innerJoin(passwordCredentials, eq(passwordCredentials.userId, users.id))
    .where(sql`lower(${userProfiles.email}) = lower(${email})`);
  return row;
}

describe('npm run ops:create', () => {
  it('creates an operator with a generated password shown once, and audits it', async () => {
    const email = `ops-${crypto.randomUUID().slice(0, 8)}@example.test`;
    const run = runCommand(['--email', email, '--name', 'Olga Ops', '--role', 'admin'], { OPERATOR_PASSWORD: '' });
    expect(run.status, run.stderr).toBe(0);
    const password = /password \(shown once\): (\S+)/.exec(run.stdout)?.[1];
    expect(password?.length).toBeGreaterThanOrEqual(20);
    const account = await accountOf(email);
    expect(account?.role).toBe('admin');
    const stored = { hash: account!.hash, algorithm: account!.algorithm, params: account!.params } as unknown as StoredHash;
    expect(await verifyPassword(password!, stored)).toBe(true);
    const audit = await db.select().from(auditLog).where(eq(auditLog.targetId, account!.id));
    expect(audit).toEqual([expect.objectContaining({ action: 'operator.create', actorType: 'system', metadata: expect.objectContaining({ role: 'admin' }) })]);
  }, 60_000);

  it('takes the password from OPERATOR_PASSWORD, refuses a taken email and a role other than ops/admin', async () => {
    const email = `ops-${crypto.randomUUID().slice(0, 8)}@example.test`;
    const first = runCommand(['--email', email, '--name', 'Otto Ops'], { OPERATOR_PASSWORD: 'a long operator password' });
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).not.toContain('shown once');
    const account = await accountOf(email);
    expect(account?.role).toBe('ops');
    const stored = { hash: account!.hash, algorithm: account!.algorithm, params: account!.params } as unknown as StoredHash;
    expect(await verifyPassword('a long operator password', stored)).toBe(true);

    const again = runCommand(['--email', email.toUpperCase(), '--name', 'Otto Again'], { OPERATOR_PASSWORD: 'a long operator password' });
    expect(again.status, `${again.stdout}\n${again.stderr}`).toBe(1);
    expect(again.stderr).toMatch(/already exists/);
    const customer = runCommand(['--email', `x-${email}`, '--name', 'X', '--role', 'customer']);
    expect(customer.status).toBe(2);
  }, 60_000);
});
