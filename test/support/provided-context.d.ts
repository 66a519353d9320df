// Values the test global setup provides to every test project.
import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    /** Origin of the Stripe fake (fakes/stripe). */
    stripeFakeUrl: string;
    /** Provider bindings pointing at the notification fakes (fakes/notifications.ts). */
    notificationBindings: { TWILIO_API_BASE: string; FCM_API_BASE: string; FCM_TOKEN_URL: string; EMAIL_API_BASE: string; FCM_SERVICE_ACCOUNT: string };
    /** Origin of the merchant webhook receiver fake. */
    webhookReceiverUrl: string;
  }
}
