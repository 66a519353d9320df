/** Who is calling: resolved once per request by the auth middleware. */
export type UserRole = 'customer' | 'merchant' | 'driver' | 'ops' | 'admin';
export type MerchantStaffRole = 'owner' | 'manager' | 'staff';

export type Principal =
  | {
      type: 'user';
      userId: string;
      role: UserRole;
      /** Set for merchant accounts: the business they act for, and their role in it. */
      merchantId?: string;
      merchantRole?: MerchantStaffRole;
      /** Set for driver accounts. */
      driverId?: string;
      /** The refresh-token family the access token was issued in: checked live on every request (ADR 0082). */
      sessionId: string;
    }
  | {
      /** A merchant server calling with an API key. */
      type: 'api_key';
      keyId: string;
      merchantId: string;
      role: 'merchant';
    };

export const isOperator = (p: Principal): boolean => p.type === 'user' && (p.role === 'ops' || p.role === 'admin');

/**
 * What each kind of merchant caller may do for its business
 * (docs/decisions/0013-authorization-model.md). The owner does everything;
 * staff accounts get a narrower role; an API key serves server-to-server
 * integrations. Nobody but the owner manages API keys or staff.
 */
export type MerchantCapability = 'orders' | 'catalog' | 'webhooks' | 'profile' | 'api_keys' | 'staff' | 'ownership';

/** `ownership`: hand the business over or close it (ADR 0089) — the owner's alone. */
export const MERCHANT_CAPABILITIES: Readonly<Record<MerchantStaffRole | 'api_key', readonly MerchantCapability[]>> = {
  owner: ['orders', 'catalog', 'webhooks', 'profile', 'api_keys', 'staff', 'ownership'],
  manager: ['orders', 'catalog', 'webhooks'],
  staff: ['orders'],
  api_key: ['orders', 'catalog'],
};

/**
 * Object-level check for a route on merchant `merchantId`:
 * `not_yours` (answer 404, never leak that it exists) when the caller acts for
 * another business, `forbidden` (403) when the caller is not a merchant at all
 * or its role lacks the capability, `ok` otherwise.
 */
export function merchantAccess(p: Principal, merchantId: string, capability: MerchantCapability): 'ok' | 'not_yours' | 'forbidden' {
  if (p.role !== 'merchant') return 'forbidden';
  if (p.merchantId !== merchantId) return 'not_yours';
  const role = p.type === 'api_key' ? 'api_key' : p.merchantRole;
  if (!role) return 'forbidden';
  return MERCHANT_CAPABILITIES[role].includes(capability) ? 'ok' : 'forbidden';
}
