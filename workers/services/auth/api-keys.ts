/**
 * Merchant API keys: `dpk_<8 visible chars>_<32 secret chars>`. The visible
 * prefix tells keys apart in the UI; the whole key is shown once and stored as
 * a SHA-256 hash (a random 160-bit secret needs no slow hash: there is nothing
 * to brute-force).
 */
import { randomBase32 } from '../../../db/ids';

export const API_KEY_PATTERN = /^dpk_[0-9a-z]{8}_[0-9a-z]{32}$/;

export function generateApiKey(): { key: string; prefix: string } {
  const visible = randomBase32(8);
  const key = `dpk_${visible}_${randomBase32(32)}`;
  return { key, prefix: `dpk_${visible}` };
}

export async function hashApiKey(key: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
