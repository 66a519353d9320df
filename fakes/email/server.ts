/**
 * A Postmark fake: `POST /email` with `X-Postmark-Server-Token`, JSON in
 * Postmark's PascalCase, answers as Postmark does: 200 `{ To, SubmittedAt,
 * MessageID, ErrorCode: 0, Message: 'OK' }`, 401 `ErrorCode 10` for a bad
 * token, 422 `ErrorCode 300` for an invalid request (no From/To/Subject, no
 * body, an address that is not one), 422 `ErrorCode 406` for an inactive
 * recipient (addresses marked through control, or ending `@inactive.test`).
 *
 * Control: GET /_fake/emails?to=…, POST /_fake/inactive { address }.
 */
import { randomUUID } from 'node:crypto';
import { startFake, type FakeAnswer, type RunningFake } from '../shared/server';
import { newest } from '../shared/state-file';

export interface EmailFakeOptions {
  serverToken: string;
  port?: number;
  /** Keeps the emails and inactive addresses across restarts (npm start); omitted = memory only. */
  stateFile?: string;
}

export interface SentEmail {
  messageId: string;
  from: string;
  to: string;
  subject: string;
  textBody: string | null;
  htmlBody: string | null;
  tag: string | null;
  messageStream: string | null;
  metadata: Record<string, string>;
  at: string;
}

export interface EmailFake extends RunningFake {
  emails: SentEmail[];
}

const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
/** `Name <a@b.c>` or `a@b.c`. */
const addressOf = (value: string) => (/<([^>]+)>\s*$/.exec(value)?.[1] ?? value).trim();

const postmarkError = (status: number, code: number, message: string): FakeAnswer => ({ status, body: { ErrorCode: code, Message: message } });

export async function startEmailFake(options: EmailFakeOptions): Promise<EmailFake> {
  const emails: SentEmail[] = [];
  const inactive = new Set<string>();
  const fake = await startFake({
    name: 'email',
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.stateFile
      ? {
          memory: {
            file: options.stateFile,
            save: () => ({ emails: newest(emails, 1_000), inactive: [...inactive] }),
            load: (saved: { emails: SentEmail[]; inactive: string[] }) => {
              emails.push(...saved.emails);
              for (const address of saved.inactive) inactive.add(address);
            },
          },
        }
      : {}),
    handle: ({ method, url, body, headers }) => {
      if (url.pathname !== '/email' || method !== 'POST') return postmarkError(404, 404, 'Not found');
      if (headers['x-postmark-server-token'] !== options.serverToken) {
        return postmarkError(401, 10, 'Request does not contain a valid Server token.');
      }
      if (!(headers['content-type'] ?? '').startsWith('application/json')) return postmarkError(415, 415, 'Content-Type must be application/json');
      let m: Record<string, unknown>;
      try {
        m = JSON.parse(body) as Record<string, unknown>;
      } catch {
        return postmarkError(422, 402, 'Received invalid JSON input.');
      }
      const from = typeof m.From === 'string' ? m.From : '';
      const to = typeof m.To === 'string' ? m.To : '';
      const subject = typeof m.Subject === 'string' ? m.Subject : '';
      const text = typeof m.TextBody === 'string' ? m.TextBody : null;
      const html = typeof m.HtmlBody === 'string' ? m.HtmlBody : null;
      if (!EMAIL.test(addressOf(from))) return postmarkError(422, 300, "Invalid 'From' address.");
      if (!EMAIL.test(addressOf(to))) return postmarkError(422, 300, `Error parsing 'To': Illegal email address '${to}'.`);
      if (!subject) return postmarkError(422, 300, 'Invalid email request: Subject is required.');
      if (!text && !html) return postmarkError(422, 300, 'Provide either email TextBody or HtmlBody or both.');
      const recipient = addressOf(to).toLowerCase();
      if (inactive.has(recipient) || recipient.endsWith('@inactive.test')) {
        return postmarkError(422, 406, 'You tried to send to recipient(s) that have been marked as inactive.');
      }
      const messageId = randomUUID();
      const submittedAt = new Date().toISOString();
      emails.push({
        messageId,
        from,
        to: recipient,
        subject,
        textBody: text,
        htmlBody: html,
        tag: typeof m.Tag === 'string' ? m.Tag : null,
        messageStream: typeof m.MessageStream === 'string' ? m.MessageStream : null,
        metadata: (m.Metadata ?? {}) as Record<string, string>,
        at: submittedAt,
      });
      return { status: 200, body: { To: to, SubmittedAt: submittedAt, MessageID: messageId, ErrorCode: 0, Message: 'OK' } };
    },
    control: ({ url, method, body }) => {
      if (url.pathname === '/_fake/emails') {
        const to = url.searchParams.get('to')?.toLowerCase();
        return { status: 200, body: { items: emails.filter((e) => !to || e.to === to) } };
      }
      if (url.pathname === '/_fake/inactive' && method === 'POST') {
        inactive.add((JSON.parse(body) as { address: string }).address.toLowerCase());
        return { status: 200, body: {} };
      }
      return undefined;
    },
  });
  return { ...fake, emails };
}
