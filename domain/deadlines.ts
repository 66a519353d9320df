/**
 * How long the platform waits before a backstop steps in (docs/reliability.md).
 * Production runs the defaults; the `RELIABILITY_DEADLINES` Worker variable
 * (JSON, any subset of the fields, in seconds) shortens them where a run must
 * see the backstops act within minutes: the chaos suite, a demo.
 */
export interface Deadlines {
  /** An unpaid order whose PaymentIntent exists is re-read from Stripe after this long. */
  paymentReconcileSeconds: number;
  /** An outbox event published and not consumed this long after its last send is published again (ADR 0078). */
  outboxConsumeSeconds: number;
}

export const DEFAULT_DEADLINES: Readonly<Deadlines> = {
  paymentReconcileSeconds: 300,
  outboxConsumeSeconds: 300,
};

/** The deadlines in force: the defaults, overridden by the variable's valid fields (a bad value is ignored, never fatal). */
export function deadlinesFrom(json: string | undefined): Deadlines {
  const out: Deadlines = { ...DEFAULT_DEADLINES };
  if (!json) return out;
  let given: unknown;
  try {
    given = JSON.parse(json);
  } catch {
    return out;
  }
  if (!given || typeof given !== 'object') return out;
  for (const key of Object.keys(DEFAULT_DEADLINES) as (keyof Deadlines)[]) {
    const v = (given as Record<string, unknown>)[key];
    if (typeof v === 'number' && Number.isFinite(v) && v > 0) out[key] = v;
  }
  return out;
}
