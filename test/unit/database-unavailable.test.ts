/**
 * Which database errors are an outage (503 with Retry-After, the client may
 * retry) rather than a bug (500): workers/errors.ts. Overload of the pool in
 * front of Postgres counts as an outage: found when the order benchmark's
 * design-peak phase got 500s from pgbouncer's query_wait_timeout.
 */
import { describe, expect, it } from 'vitest';
import { isDatabaseUnavailable } from '../../workers/errors';

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code, severity: 'ERROR' });

describe('isDatabaseUnavailable', () => {
  it('counts refused, reset and closed connections, and a full pool, as unavailable', () => {
    expect(isDatabaseUnavailable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isDatabaseUnavailable(pgError('53300', 'sorry, too many clients already'))).toBe(true);
    expect(isDatabaseUnavailable(pgError('08P01', 'query_wait_timeout'))).toBe(true);
    expect(isDatabaseUnavailable(pgError('08006', 'connection failure'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('no more connections allowed (max_client_conn)'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('wrapped', { cause: pgError('57P01', 'terminating connection due to administrator command') }))).toBe(true);
    // Local Hyperdrive when Postgres was killed: postgres.js gets this, with no code (seen on `npm start`).
    expect(isDatabaseUnavailable(new Error('connection attempt failed'))).toBe(true);
    expect(isDatabaseUnavailable(new Error('Failed query: select 1', { cause: new Error('connection attempt failed') }))).toBe(true);
    expect(isDatabaseUnavailable(pgError('57P02', 'terminating connection because of crash of another server process'))).toBe(true);
  });

  it('does not hide a wrong query or a constraint as an outage', () => {
    expect(isDatabaseUnavailable(pgError('42P01', 'relation "nope" does not exist'))).toBe(false);
    expect(isDatabaseUnavailable(pgError('23505', 'duplicate key value violates unique constraint'))).toBe(false);
    expect(isDatabaseUnavailable(new TypeError('Cannot read properties of undefined'))).toBe(false);
  });
});
