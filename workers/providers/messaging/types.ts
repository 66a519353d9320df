/**
 * The three channels behind small interfaces: the notification logic talks to
 * these, production wires the real clients (twilio.ts, fcm.ts, postmark.ts),
 * and every failure is a DeliveryError (errors.ts).
 */
export interface SmsMessage {
  to: string;
  body: string;
  /** Where Twilio reports delivery status (POST /v1/webhooks/twilio/status). */
  statusCallback?: string;
}

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  /** Provider-side grouping, e.g. the template key. */
  tag?: string;
  metadata?: Record<string, string>;
}

export interface PushMessage {
  token: string;
  title: string;
  body: string;
  data?: Record<string, string>;
  /** Drop the message if the device cannot be reached in time (offers expire). */
  ttlSeconds?: number;
  /** A newer push with the same key replaces an older one still on the device. */
  collapseKey?: string;
}

export interface SentMessage {
  /** The provider's id: Twilio SM…, Postmark MessageID, FCM message name. */
  id: string;
}

export interface SmsSender {
  readonly provider: string;
  send(message: SmsMessage): Promise<SentMessage>;
}

export interface EmailSender {
  readonly provider: string;
  send(message: EmailMessage): Promise<SentMessage>;
}

/** A push to a token FCM no longer knows throws a DeliveryError with code `UNREGISTERED`. */
export interface PushSender {
  readonly provider: string;
  send(message: PushMessage): Promise<SentMessage>;
}

export interface Senders {
  sms: SmsSender;
  email: EmailSender;
  push: PushSender;
}
