import { describe, expect, it } from 'vitest';
import { Problem, problemResponse, problems } from '../../workers/problem';

describe('Problem', () => {
  it('renders RFC 9457 members and extensions, and the headers it carries', async () => {
    const res = problemResponse(problems.rateLimited(12.2), '/v1/auth/login');
    expect(res.status).toBe(429);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.headers.get('retry-after')).toBe('13');
    expect(await res.json()).toEqual({
      type: 'https://delivery.example.com/problems/rate-limited',
      title: 'Too Many Requests',
      status: 429,
      detail: 'Too many requests; try again later.',
      instance: '/v1/auth/login',
    });
  });

  it('keeps field errors and lets standard members win over extensions', () => {
    const p = new Problem(409, 'illegal-transition', 'Order is delivered.', { extensions: { status: 'delivered', currentStatus: 'delivered' } });
    expect(p.toBody()).toMatchObject({ status: 409, currentStatus: 'delivered' });
    expect(problems.validation([{ path: 'json.email', message: 'Invalid email' }]).toBody().errors).toEqual([
      { path: 'json.email', message: 'Invalid email' },
    ]);
  });
});
