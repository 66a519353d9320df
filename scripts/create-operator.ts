/**
 * `npm run ops:create -- --email ops@example.com --name "Olga Ops" [--role admin]`
 *
 * Creates an operator account (ops or admin). Operators never sign up through
 * the API; this command (and the demo seed) is the only way in, and the
 * creation is written to the audit log (operator.create).
 *
 * The password comes from OPERATOR_PASSWORD, or is generated and printed once.
 * The database is DATABASE_URL, else the Postgres of a running `npm start`,
 * else the local embedded one in .data/postgres (started and stopped here).
 */
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import { openDatabase } from '../db/client';
import { createOperator, type OperatorRole } from '../workers/services/auth/operators';
import { DATA_DIR, LOCAL_PORTS } from './lib/local-env';
import { migrateDatabase } from './lib/migrate';
import { startPostgres, type RunningPostgres } from './lib/postgres';

const { values } = parseArgs({
  options: {
    email: { type: 'string' },
    name: { type: 'string' },
    role: { type: 'string', default: 'ops' },
  },
});

function fail(message: string): never {
  console.error(`ops:create: ${message}`);
  console.error('usage: npm run ops:create -- --email <email> --name <name> [--role ops|admin]   (password: $OPERATOR_PASSWORD or generated)');
  process.exit(2);
}

if (!values.email) fail('--email is required');
if (!values.name) fail('--name is required');
if (values.role !== 'ops' && values.role !== 'admin') fail('--role must be ops or admin');

async function reachable(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
  try {
    await sql`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

const generated = !process.env.OPERATOR_PASSWORD;
const password = process.env.OPERATOR_PASSWORD || randomBytes(18).toString('base64url');

let pg: RunningPostgres | undefined;
let url = process.env.DATABASE_URL;
if (!url) {
  const running = `postgres://postgres:password@127.0.0.1:${LOCAL_PORTS.postgres}/delivery`;
  if (await reachable(running)) url = running;
  else {
    pg = await startPostgres({ dataDir: path.join(DATA_DIR, 'postgres'), port: LOCAL_PORTS.postgres, database: 'delivery' });
    await migrateDatabase(pg.url);
    url = pg.url;
  }
}

let exitCode = 0;
const db = openDatabase(url, { max: 1 });
try {
  const outcome = await createOperator(db, {
    email: values.email,
    name: values.name,
    role: values.role as OperatorRole,
    password,
    createdBy: userInfo().username,
  });
  if (outcome.kind === 'email_taken') {
    console.error(`ops:create: an account with the email ${values.email} already exists`);
    exitCode = 1;
  } else {
    console.log(`created ${values.role} ${values.email} (${outcome.userId})`);
    if (generated) console.log(`password (shown once): ${password}`);
  }
} catch (error) {
  console.error(`ops:create: ${error instanceof Error ? error.message : String(error)}`);
  exitCode = 1;
} finally {
  await db.$client.end({ timeout: 2 });
  await pg?.stop();
}
// Explicit: every resource is closed by now, and the status must reach the shell.
process.exit(exitCode);
