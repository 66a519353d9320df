/**
 * The real provider clients, built from the Worker's bindings and created
 * lazily: the Twilio SDK is imported on the first SMS of an isolate, never
 * on the API's request path (it is only reachable from the queue consumer).
 */
import { DeliveryError } from '../providers/messaging/errors';
import { createFcmSender, parseServiceAccount } from '../providers/messaging/fcm';
import { createPostmarkSender } from '../providers/messaging/postmark';
import type { Senders, SmsSender } from '../providers/messaging/types';

export type SenderEnv = Pick<
  Env,
  'TWILIO_ACCOUNT_SID' | 'TWILIO_AUTH_TOKEN' | 'TWILIO_API_BASE' | 'TWILIO_FROM' | 'FCM_SERVICE_ACCOUNT' | 'FCM_API_BASE' | 'FCM_TOKEN_URL' | 'EMAIL_API_BASE' | 'EMAIL_API_TOKEN' | 'EMAIL_FROM'
>;

export function buildSenders(env: SenderEnv): Senders {
  let twilio: Promise<SmsSender> | undefined;
  const serviceAccount = parseServiceAccount(env.FCM_SERVICE_ACCOUNT);
  return {
    sms: {
      provider: 'twilio',
      async send(message) {
        twilio ??= import('../providers/messaging/twilio').then(({ createTwilioSender }) =>
          createTwilioSender({ accountSid: env.TWILIO_ACCOUNT_SID, authToken: env.TWILIO_AUTH_TOKEN, apiBase: env.TWILIO_API_BASE, from: env.TWILIO_FROM }),
        );
        return (await twilio).send(message);
      },
    },
    email: createPostmarkSender({ apiBase: env.EMAIL_API_BASE, serverToken: env.EMAIL_API_TOKEN, from: env.EMAIL_FROM }),
    push: serviceAccount
      ? createFcmSender({ serviceAccount, apiBase: env.FCM_API_BASE, tokenUrl: env.FCM_TOKEN_URL })
      : {
          provider: 'fcm',
          send: () => Promise.reject(new DeliveryError('fcm', 'fcm: FCM_SERVICE_ACCOUNT is not a service account JSON', true)),
        },
  };
}
