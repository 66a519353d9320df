/**
 * The cast of the authorization matrix: two of everything, so every route can
 * be called on the caller's own object and on someone else's. Built once per
 * run through the real API (operators through the same path as
 * `npm run ops:create`).
 */
import { PASSWORD, addStaff, callJson, createApiKey, createCity, createOps, register, uniqueEmail, type Account } from './auth-helpers';

export interface World {
  cityId: string;
  customer: Account;
  otherCustomer: Account;
  /** Owner of merchant A; "own" for merchant roles means merchant A. */
  owner: Account;
  /** Owner of merchant B: "other". */
  otherOwner: Account;
  /** A member of staff (role `staff`) of merchant A. */
  staff: Account;
  otherStaff: Account;
  apiKey: { id: string; key: string };
  otherApiKey: { id: string; key: string };
  driver: Account;
  otherDriver: Account;
  ops: Account;
}

export async function buildWorld(): Promise<World> {
  const cityId = await createCity();
  const [customer, otherCustomer, owner, otherOwner, driver, otherDriver, ops] = await Promise.all([
    register('customer', cityId),
    register('customer', cityId),
    register('merchant', cityId),
    register('merchant', cityId),
    register('driver', cityId),
    register('driver', cityId),
    createOps(),
  ]);
  const [staff, otherStaff, apiKey, otherApiKey] = await Promise.all([
    addStaff(owner, 'staff'),
    addStaff(otherOwner, 'staff'),
    createApiKey(owner, 'matrix'),
    createApiKey(otherOwner, 'matrix'),
  ]);
  return { cityId, customer, otherCustomer, owner, otherOwner, staff, otherStaff, apiKey, otherApiKey, driver, otherDriver, ops };
}

/** A fresh member of staff of the merchant `owner` owns (not signed in); returns its user id. */
export async function freshStaffMember(owner: Account): Promise<string> {
  const { body } = await callJson<{ userId: string }>(
    `/v1/merchants/${owner.user.merchantId}/staff`,
    { token: owner.accessToken, body: { email: uniqueEmail('matrix-staff'), password: PASSWORD, name: 'Matrix staff', role: 'staff' } },
    201,
  );
  return body.userId;
}
