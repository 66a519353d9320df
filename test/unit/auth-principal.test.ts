import { describe, expect, it } from 'vitest';
import { merchantAccess, type Principal } from '../../workers/services/auth/principal';

const owner: Principal = { type: 'user', userId: 'usr_o', role: 'merchant', merchantId: 'mer_a', merchantRole: 'owner', sessionId: 'fam_o' };
const manager: Principal = { ...owner, userId: 'usr_m', merchantRole: 'manager' };
const staff: Principal = { ...owner, userId: 'usr_s', merchantRole: 'staff' };
const apiKey: Principal = { type: 'api_key', keyId: 'key_k', merchantId: 'mer_a', role: 'merchant' };
const unattached: Principal = { type: 'user', userId: 'usr_u', role: 'merchant', sessionId: 'fam_u' };
const customer: Principal = { type: 'user', userId: 'usr_c', role: 'customer', sessionId: 'fam_c' };
const ops: Principal = { type: 'user', userId: 'usr_x', role: 'ops', sessionId: 'fam_x' };

describe('merchantAccess', () => {
  it('lets only the owner manage API keys and staff', () => {
    for (const capability of ['api_keys', 'staff'] as const) {
      expect(merchantAccess(owner, 'mer_a', capability)).toBe('ok');
      expect(merchantAccess(manager, 'mer_a', capability)).toBe('forbidden');
      expect(merchantAccess(staff, 'mer_a', capability)).toBe('forbidden');
      expect(merchantAccess(apiKey, 'mer_a', capability)).toBe('forbidden');
    }
  });

  it('answers not_yours (404) for another merchant whatever the role, forbidden (403) for non-merchants', () => {
    for (const p of [owner, manager, staff, apiKey, unattached]) expect(merchantAccess(p, 'mer_b', 'orders')).toBe('not_yours');
    for (const p of [customer, ops]) expect(merchantAccess(p, 'mer_a', 'orders')).toBe('forbidden');
  });

  it('gives narrower roles their capabilities only', () => {
    expect(merchantAccess(staff, 'mer_a', 'orders')).toBe('ok');
    expect(merchantAccess(staff, 'mer_a', 'catalog')).toBe('forbidden');
    expect(merchantAccess(manager, 'mer_a', 'catalog')).toBe('ok');
    expect(merchantAccess(manager, 'mer_a', 'profile')).toBe('forbidden');
    expect(merchantAccess(apiKey, 'mer_a', 'orders')).toBe('ok');
  });
});
