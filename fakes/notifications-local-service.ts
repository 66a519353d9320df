/**
 * The notification fakes as a local service of `npm start`
 * (scripts/lib/local-services.ts), on fixed ports so their control pages stay
 * bookmarkable: Twilio 12112, FCM 12113, Postmark 12114, a merchant webhook
 * receiver 12115 (NOTIFICATION_FAKES_PORT moves the first, the others follow).
 * Twilio posts signed status callbacks to the running Worker, as Twilio does.
 * The FCM fake checks JWTs against the public half of the local service
 * account in .data/local-secrets.json (scripts/lib/local-env.ts).
 */
import { createPublicKey } from 'node:crypto';
import type { LocalService } from './shared/local-service';
import { startNotificationFakes, type NotificationFakes } from './notifications';

export const NOTIFICATION_FAKES_DEFAULT_PORT = 12112;

export const notificationsLocalService: LocalService = {
  name: 'notifications',
  async start(ctx) {
    const sa = JSON.parse(ctx.secrets.FCM_SERVICE_ACCOUNT ?? '{}') as { project_id?: string; client_email?: string; private_key?: string };
    if (!sa.private_key || !sa.client_email || !sa.project_id) throw new Error('FCM_SERVICE_ACCOUNT in .data/local-secrets.json is not a service account');
    const serviceAccount = {
      json: ctx.secrets.FCM_SERVICE_ACCOUNT!,
      projectId: sa.project_id,
      clientEmail: sa.client_email,
      publicKeyPem: createPublicKey(sa.private_key).export({ type: 'spki', format: 'pem' }).toString(),
    };
    const base = Number(process.env.NOTIFICATION_FAKES_PORT ?? NOTIFICATION_FAKES_DEFAULT_PORT);
    const options = {
      twilio: { accountSid: ctx.secrets.TWILIO_ACCOUNT_SID!, authToken: ctx.secrets.TWILIO_AUTH_TOKEN! },
      emailServerToken: ctx.secrets.EMAIL_API_TOKEN!,
      serviceAccount,
      twilioAutoCallback: true,
      // What they received survives a restart of npm start (fakes/shared/state-file.ts).
      ...(ctx.stateDir ? { stateDir: ctx.stateDir } : {}),
    };
    let fakes: NotificationFakes;
    try {
      fakes = await startNotificationFakes({ ...options, ports: { twilio: base, fcm: base + 1, email: base + 2, webhooks: base + 3 } });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      // Another run holds the ports (browser tests beside npm start): any free ones.
      fakes = await startNotificationFakes(options);
      ctx.log(`notification fakes: ports ${base}-${base + 3} are taken, using free ones`);
    }
    const { FCM_SERVICE_ACCOUNT: _secret, ...vars } = fakes.bindings;
    ctx.log(`merchant webhook receiver: POST ${fakes.webhooks.url}/hooks/<name>; GET ${fakes.webhooks.url}/_fake/received`);
    // No banner link: the messages sent are read at the dev outbox ({api}/dev/outbox), which the banner names.
    return { name: 'notifications', vars, endpoints: { webhookReceiver: fakes.webhooks.url }, stop: () => fakes.stop() };
  },
};
