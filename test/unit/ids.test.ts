import { describe, expect, it } from 'vitest';
import { isId, newId } from '../../db/ids';

describe('ids', () => {
  it('are prefixed, url-safe and unique', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => newId('ord')));
    expect(ids.size).toBe(10_000);
    for (const id of Array.from(ids).slice(0, 100)) expect(id).toMatch(/^ord_[0-9a-hjkmnp-tv-z]{20}$/);
  });

  it('are recognised by prefix', () => {
    expect(isId(newId('usr'), 'usr')).toBe(true);
    expect(isId(newId('usr'), 'ord')).toBe(false);
    expect(isId('ord_short', 'ord')).toBe(false);
  });
});
