import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../workers/services/auth/password';

describe('password hashing inside workerd', () => {
  it('hashes with scrypt and verifies', async () => {
    const t0 = performance.now();
    const stored = await hashPassword('correct horse battery staple');
    const t1 = performance.now();
    expect(stored.algorithm).toBe('scrypt');
    expect(await verifyPassword('correct horse battery staple', stored)).toBe(true);
    expect(await verifyPassword('wrong horse battery staple', stored)).toBe(false);
    console.log('hash ms', t1 - t0);
  });
});
