import { useState } from 'react';
import { toApiProblem, type ApiProblem } from '../../api/client';
import { ProblemAlert } from '../../components/ProblemAlert';
import type { AppSession } from './session';
import { useSessionQuery } from './useSessionQuery';
import { formatTime } from './format';
import type * as Api from '../../api/schema.gen';

type Thread = 'customer_driver' | 'merchant_driver';

type ChatMessage = Api.OrderMessage;

const WHO: Record<ChatMessage['senderRole'], string> = { customer: 'Customer', merchant: 'Shop', driver: 'Driver' };

/**
 * The order's chat (ADR 0113): read again whenever a `chat` frame arrives on
 * a live channel the app already holds (`refreshKey`), written with
 * POST /v1/orders/{id}/messages. No phone number is ever shown.
 */
export function OrderChat({ session, orderId, thread, refreshKey, open, title }: { session: AppSession; orderId: string; thread: Thread; refreshKey: number; open: boolean; title: string }) {
  const [sent, setSent] = useState(0);
  const messages = useSessionQuery<{ items: ChatMessage[] }>(session, `/v1/orders/${encodeURIComponent(orderId)}/messages`, `${refreshKey}:${sent}`);
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<ApiProblem | null>(null);
  const items = (messages.data?.items ?? []).filter((m) => m.thread === thread);
  const send = async () => {
    setProblem(null);
    try {
      await session.fetch(`/v1/orders/${encodeURIComponent(orderId)}/messages`, { method: 'POST', json: { thread, body: text.trim() } });
      setText('');
      setSent((n) => n + 1);
    } catch (error) {
      setProblem(toApiProblem(error));
    }
  };
  const id = `chat-${thread}`;
  return (
    <section className="panel stack" aria-labelledby={`${id}-title`} data-testid={id}>
      <h2 id={`${id}-title`}>{title}</h2>
      {items.length === 0 ? <p className="muted">No message yet.</p> : null}
      <ul className="plain-list stack" aria-live="polite">
        {items.map((m) => (
          <li key={m.id} data-testid="chat-message" className={m.mine ? 'chat-mine' : ''}>
            <strong>{m.mine ? 'You' : WHO[m.senderRole]}</strong> <span className="muted">{formatTime(m.at)}</span>: {m.body}
          </li>
        ))}
      </ul>
      {open ? (
        <form
          className="form-field"
          onSubmit={(e) => {
            e.preventDefault();
            if (text.trim()) void send();
          }}
        >
          <label htmlFor={`${id}-text`}>Your message</label>
          <input id={`${id}-text`} value={text} maxLength={500} onChange={(e) => setText(e.target.value)} />
          <button type="submit" disabled={!text.trim()}>
            Send
          </button>
        </form>
      ) : null}
      {problem ? <ProblemAlert problem={problem} context="Not sent" /> : null}
    </section>
  );
}
