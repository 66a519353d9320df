/**
 * The notification providers' fakes together, as the test global setup and
 * `npm start` run them: Twilio, FCM (token endpoint and send), Postmark, and
 * a merchant webhook receiver.
 */
import path from 'node:path';
import { startEmailFake, type EmailFake } from './email/server';
import { generateServiceAccount, type LocalServiceAccount } from './fcm/service-account';
import { startFcmFake, type FcmFake } from './fcm/server';
import { startTwilioFake, type TwilioFake } from './twilio/server';
import { startWebhookReceiverFake, type WebhookReceiverFake } from './webhook-receiver/server';

export interface NotificationFakes {
  twilio: TwilioFake;
  fcm: FcmFake;
  email: EmailFake;
  webhooks: WebhookReceiverFake;
  serviceAccount: LocalServiceAccount;
  /** Worker bindings that point the providers at these fakes. */
  bindings: { TWILIO_API_BASE: string; FCM_API_BASE: string; FCM_TOKEN_URL: string; EMAIL_API_BASE: string; FCM_SERVICE_ACCOUNT: string };
  stop(): Promise<void>;
}

export interface NotificationFakeOptions {
  twilio: { accountSid: string; authToken: string };
  emailServerToken: string;
  /** Fixed ports (npm start); 0 or omitted: any free port (tests). */
  ports?: { twilio?: number; fcm?: number; email?: number; webhooks?: number };
  serviceAccount?: LocalServiceAccount;
  /** Twilio posts status callbacks by itself (npm start, where the Worker listens). */
  twilioAutoCallback?: boolean;
  /** A folder where each fake keeps what it received across restarts (npm start: .data/fakes); omitted = memory only. */
  stateDir?: string;
}

export async function startNotificationFakes(options: NotificationFakeOptions): Promise<NotificationFakes> {
  const serviceAccount = options.serviceAccount ?? generateServiceAccount();
  const stateFile = (name: string) => (options.stateDir ? { stateFile: path.join(options.stateDir, `${name}.json`) } : {});
  const [twilio, fcm, email, webhooks] = await Promise.all([
    startTwilioFake({ ...options.twilio, autoCallback: options.twilioAutoCallback ?? false, ...(options.ports?.twilio ? { port: options.ports.twilio } : {}), ...stateFile('twilio') }),
    startFcmFake({
      projectId: serviceAccount.projectId,
      clientEmail: serviceAccount.clientEmail,
      publicKeyPem: serviceAccount.publicKeyPem,
      ...(options.ports?.fcm ? { port: options.ports.fcm } : {}),
      ...stateFile('fcm'),
    }),
    startEmailFake({ serverToken: options.emailServerToken, ...(options.ports?.email ? { port: options.ports.email } : {}), ...stateFile('email') }),
    startWebhookReceiverFake({ ...(options.ports?.webhooks ? { port: options.ports.webhooks } : {}), ...stateFile('webhook-receiver') }),
  ]);
  return {
    twilio,
    fcm,
    email,
    webhooks,
    serviceAccount,
    bindings: {
      TWILIO_API_BASE: twilio.url,
      FCM_API_BASE: fcm.url,
      FCM_TOKEN_URL: `${fcm.url}/token`,
      EMAIL_API_BASE: email.url,
      FCM_SERVICE_ACCOUNT: serviceAccount.json,
    },
    stop: async () => {
      await Promise.all([twilio.stop(), fcm.stop(), email.stop(), webhooks.stop()]);
    },
  };
}
