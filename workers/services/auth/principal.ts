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
    }
  | {
      /** A merchant server calling with an API key. */
      type: 'api_key';
      keyId: string;
      merchantId: string;
      role: 'merchant';
    };

export const isOperator = (p: Principal): boolean => p.type === 'user' && (p.role === 'ops' || p.role === 'admin');

/** True when the principal acts for this merchant (owner, staff or its API key). */
export const actsForMerchant = (p: Principal, merchantId: string): boolean =>
  p.role === 'merchant' && p.merchantId === merchantId;
