/**
 * Email through Postmark's HTTP API (docs/decisions/0044): one POST /email
 * with the server token in `X-Postmark-Server-Token`. Postmark answers 422
 * with an `ErrorCode` for a message it will never send (bad address,
 * inactive recipient), 401 for a bad token, 5xx when it is unwell.
 */
import { DeliveryError, deliveryErrorFromStatus, fetchWithTimeout } from './errors';
import type { EmailMessage, EmailSender, SentMessage } from './types';

export interface PostmarkConfig {
  apiBase: string;
  serverToken: string;
  from: string;
  /** Postmark's transactional stream (broadcasts would go to another one). */
  messageStream?: string;
  timeoutMs?: number;
}

export function createPostmarkSender(config: PostmarkConfig): EmailSender {
  const url = `${config.apiBase.replace(/\/+$/, '')}/email`;
  return {
    provider: 'postmark',
    async send(message: EmailMessage): Promise<SentMessage> {
      const res = await fetchWithTimeout(
        'postmark',
        url,
        {
          method: 'POST',
          headers: { Accept: 'application/json', 'Content-Type': 'application/json', 'X-Postmark-Server-Token': config.serverToken },
          body: JSON.stringify({
            From: config.from,
            To: message.to,
            Subject: message.subject,
            TextBody: message.text,
            MessageStream: config.messageStream ?? 'outbound',
            ...(message.tag ? { Tag: message.tag } : {}),
            ...(message.metadata ? { Metadata: message.metadata } : {}),
          }),
        },
        config.timeoutMs ?? 10_000,
      );
      const body = (await res.json().catch(() => ({}))) as { MessageID?: string; ErrorCode?: number; Message?: string };
      if (res.ok && body.ErrorCode === 0 && typeof body.MessageID === 'string') return { id: body.MessageID };
      if (res.ok) throw new DeliveryError('postmark', `postmark: ${body.Message ?? 'unexpected answer'}`, false, res.status, String(body.ErrorCode ?? ''));
      throw deliveryErrorFromStatus('postmark', res.status, body.Message ?? 'error', body.ErrorCode === undefined ? undefined : String(body.ErrorCode));
    },
  };
}
