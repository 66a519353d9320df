/**
 * Every answer the platform gave during a chaos run, by time: the chaos
 * process wraps its own `fetch` (it runs no Miniflare; wrangler dev is a
 * child process), so the simulated apps' requests, the Stripe fake's
 * webhooks and the probes are all counted. Status 0 is a request that got no
 * answer (connection refused or reset, or the client's timeout).
 */
export interface Answer {
  at: number;
  method: string;
  path: string;
  status: number;
  ms: number;
}

export class AnswerTally {
  readonly answers: Answer[] = [];
  private original: typeof fetch | undefined;

  constructor(private readonly origin: string) {}

  install(): void {
    if (this.original) return;
    const original = globalThis.fetch;
    this.original = original;
    const origin = this.origin;
    const answers = this.answers;
    globalThis.fetch = async function tallied(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
      const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
      if (!url.startsWith(origin)) return original(input, init);
      const at = Date.now();
      const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
      const path = new URL(url).pathname;
      try {
        const res = await original(input, init);
        answers.push({ at, method, path, status: res.status, ms: Date.now() - at });
        return res;
      } catch (error) {
        answers.push({ at, method, path, status: 0, ms: Date.now() - at });
        throw error;
      }
    };
  }

  uninstall(): void {
    if (this.original) globalThis.fetch = this.original;
    this.original = undefined;
  }

  /** Answers to requests sent in [from, to), by status ("0" = no answer). */
  byStatus(from: number, to: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (const a of this.answers) if (a.at >= from && a.at < to) out[a.status] = (out[a.status] ?? 0) + 1;
    return out;
  }

  /** Requests sent in [from, to) answered with this exact status. */
  count(status: number, from = 0, to = Number.POSITIVE_INFINITY): number {
    return this.answers.filter((a) => a.status === status && a.at >= from && a.at < to).length;
  }

  /** The 500s (never expected, whatever the fault), with their paths. */
  internalErrors(from = 0, to = Number.POSITIVE_INFINITY): Answer[] {
    return this.answers.filter((a) => a.status === 500 && a.at >= from && a.at < to);
  }
}

export function formatStatuses(s: Record<string, number>): string {
  const keys = Object.keys(s).sort((a, b) => Number(a) - Number(b));
  return keys.length === 0 ? '-' : keys.map((k) => `${k === '0' ? 'none' : k}×${s[k]}`).join(' ');
}
