/**
 * The Worker bench/notifications.ts starts fresh, three ways (TWILIO_MODE
 * is fixed at bundle time by the entry that imports this module):
 * `/noop` answers at once; `/sms` sends one SMS through the twilio SDK (the
 * fetch httpClient of workers/providers/messaging/twilio.ts) to the Twilio fake.
 */
import { createTwilioSender } from '../../workers/providers/messaging/twilio';
import type { SmsSender } from '../../workers/providers/messaging/types';

interface BenchEnv {
  TWILIO_API_BASE: string;
  TWILIO_ACCOUNT_SID: string;
  TWILIO_AUTH_TOKEN: string;
}

let sender: Promise<SmsSender> | undefined;

export const handler = {
  async fetch(request: Request, env: BenchEnv): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (pathname === '/noop') return new Response('ok');
    if (pathname === '/sms') {
      sender ??= createTwilioSender({ accountSid: env.TWILIO_ACCOUNT_SID, authToken: env.TWILIO_AUTH_TOKEN, apiBase: env.TWILIO_API_BASE, from: '+15005550006' });
      const sent = await (await sender).send({ to: '+33612345678', body: 'bench' });
      return new Response(sent.id);
    }
    return new Response('not found', { status: 404 });
  },
};
