/**
 * The Stripe events the platform acts on are the ones the runbook tells
 * operators to subscribe the webhook endpoint to: a type acted on but not
 * subscribed would never arrive (a paid order stuck until reconciliation).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { STRIPE_EVENTS_ACTED_ON } from '../../domain/stripe-events';

describe('STRIPE_EVENTS_ACTED_ON', () => {
  it('is what the runbook subscribes the endpoint to', () => {
    const runbook = readFileSync(new URL('../../docs/runbook.md', import.meta.url), 'utf8').replace(/\s+/g, ' ');
    const step = /In Stripe's dashboard add a webhook endpoint.*?the events the platform acts on: (.*?)\(`STRIPE_EVENTS_ACTED_ON`/.exec(runbook);
    expect(step).not.toBeNull();
    const listed = [...step![1]!.matchAll(/`([a-z_]+\.[a-z_.]+)`/g)].map((m) => m[1]);
    expect([...listed].sort()).toEqual([...STRIPE_EVENTS_ACTED_ON].sort());
    expect(STRIPE_EVENTS_ACTED_ON).toContain('payment_intent.succeeded');
  });
});
