/**
 * How a provider call failed, in the terms the notification log needs: a 4xx
 * (except 408 and 429) is the recipient's or the request's fault and will not
 * get better by retrying (permanent: fall back to another channel); a 5xx, a
 * 408/429, a timeout or a network error is retried with backoff.
 */
export class DeliveryError extends Error {
  constructor(
    readonly provider: string,
    message: string,
    readonly permanent: boolean,
    readonly httpStatus?: number,
    /** The provider's own error code, e.g. Twilio 21211, FCM UNREGISTERED, Postmark 300. */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

export function isPermanentStatus(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 429;
}

export function deliveryErrorFromStatus(provider: string, status: number, message: string, code?: string): DeliveryError {
  return new DeliveryError(provider, `${provider} answered ${status}: ${message}`.slice(0, 500), isPermanentStatus(status), status, code);
}

/** fetch with a deadline; a timeout or a network failure is a transient DeliveryError. */
export async function fetchWithTimeout(provider: string, url: string, init: RequestInit, timeoutMs: number): Promise<Response> {
  try {
    return await fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const name = (error as { name?: string }).name;
    const timedOut = name === 'TimeoutError' || name === 'AbortError';
    throw new DeliveryError(provider, timedOut ? `${provider} did not answer within ${timeoutMs} ms` : `${provider} unreachable: ${(error as Error).message}`, false);
  }
}

export function asDeliveryError(provider: string, error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error;
  return new DeliveryError(provider, `${provider}: ${(error as Error)?.message ?? String(error)}`.slice(0, 500), false);
}
