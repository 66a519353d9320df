import { describe, expect, it } from 'vitest';
import {
  CURRENT_PARAMS,
  decoyHash,
  hashPassword,
  needsRehash,
  verifyPassword,
  type StoredHash,
} from '../../workers/services/auth/password';

describe('password hashing (Node, the same code the Worker runs)', () => {
  it('hashes with scrypt and stores algorithm and parameters with a random salt', async () => {
    const a = await hashPassword('correct horse battery staple');
    const b = await hashPassword('correct horse battery staple');
    expect(a).toMatchObject({ algorithm: 'scrypt', params: { N: 2 ** 14, r: 8, p: 5, keyLength: 32 } });
    expect(a.hash).not.toBe(b.hash); // salted
    expect(a.hash.split('$')[0]).not.toBe(b.hash.split('$')[0]);
    expect(await verifyPassword('correct horse battery staple', a)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', a)).toBe(false);
  });

  it('uses one of the scrypt rows OWASP lists (N=2^13..2^17 with r=8 and the matching p)', () => {
    const owaspRows = [
      { N: 2 ** 17, p: 1 },
      { N: 2 ** 16, p: 2 },
      { N: 2 ** 15, p: 3 },
      { N: 2 ** 14, p: 5 },
      { N: 2 ** 13, p: 10 },
    ];
    expect(CURRENT_PARAMS.r).toBe(8);
    expect(owaspRows).toContainEqual({ N: CURRENT_PARAMS.N, p: CURRENT_PARAMS.p });
  });

  it('normalises Unicode (NFKC), so the same password typed differently matches', async () => {
    const stored = await hashPassword('ｐａｓｓｗｏｒｄ－ｆｕｌｌｗｉｄｔｈ');
    expect(await verifyPassword('password-fullwidth', stored)).toBe(true);
    // "é" typed as one code point, then as "e" + combining acute accent.
    const composed = await hashPassword('caf\u00e9 au lait, merci');
    expect(await verifyPassword('cafe\u0301 au lait, merci', composed)).toBe(true);
  });

  it('still verifies hashes made with older parameters, and flags them for rehash', async () => {
    const old = await hashPassword('an older password hash', { N: 2 ** 13, r: 8, p: 10, keyLength: 32 });
    expect(await verifyPassword('an older password hash', old)).toBe(true);
    expect(needsRehash(old)).toBe(true);
    expect(needsRehash(await hashPassword('a current password hash'))).toBe(false);
    expect(needsRehash({ ...old, algorithm: 'pbkdf2-sha256' })).toBe(true);
  });

  it('refuses stored hashes with another algorithm, absurd parameters or garbage, without throwing', async () => {
    const good = await hashPassword('some password here');
    const cases: StoredHash[] = [
      { ...good, algorithm: 'md5' },
      { ...good, params: { ...good.params, N: 2 ** 24 } }, // would allocate 16 GiB
      { ...good, params: { ...good.params, N: 1000 } }, // not a power of two
      { ...good, params: { ...good.params, p: 0 } },
      { ...good, hash: 'not-base64$!!!' },
      { ...good, hash: 'nodollar' },
    ];
    for (const stored of cases) expect(await verifyPassword('some password here', stored)).toBe(false);
  });

  it('the decoy never matches and costs one derivation with the current parameters', async () => {
    const decoy = decoyHash();
    expect(decoy.params).toEqual(CURRENT_PARAMS);
    expect(await verifyPassword('', decoy)).toBe(false);
    expect(await verifyPassword('decoy-password-that-never-matches', decoy)).toBe(false);
    const real = await hashPassword('timing comparison password');
    const time = async (stored: StoredHash) => {
      const t0 = performance.now();
      await verifyPassword('timing comparison passwore', stored);
      return performance.now() - t0;
    };
    const decoyMs: number[] = [];
    const realMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      decoyMs.push(await time(decoy));
      realMs.push(await time(real));
    }
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[2]!;
    const [d, r] = [median(decoyMs), median(realMs)];
    expect(Math.abs(d - r)).toBeLessThan(Math.max(20, 0.2 * r));
  }, 30_000);
});
