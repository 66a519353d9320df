import { z } from '@hono/zod-openapi';
import { Text } from './text';

/** E.164: a plus, a country code that does not start with 0, 8 to 15 digits in all. */
export const E164 = /^\+[1-9]\d{7,14}$/;

export const NotificationPreferencesSchema = z
  .object({
    sms: z.boolean().openapi({ description: 'Order messages by SMS.' }),
    email: z.boolean().openapi({ description: 'Order messages by email.' }),
    push: z.boolean().openapi({ description: 'Order messages by push to registered devices.' }),
    marketing: z.boolean().openapi({ description: 'Separate consent for marketing (opt-in, false by default); never needed for order messages.' }),
    phone: z.string().nullable().openapi({ description: 'Number for SMS (E.164); null: the account’s phone.', example: '+33612345678' }),
    emailAddress: z.string().nullable().openapi({ description: 'Address for email; null: the account’s email.' }),
    locale: z.string().openapi({ description: 'Language of the messages (BCP 47; en and fr have templates, others get English).', example: 'fr' }),
  })
  .openapi('NotificationPreferences');

export const NotificationPreferencesInput = z
  .object({
    sms: z.boolean(),
    email: z.boolean(),
    push: z.boolean(),
    marketing: z.boolean(),
    phone: z.string().trim().regex(E164, 'must be an E.164 phone number, e.g. +33612345678').nullable().optional(),
    emailAddress: z.email('must be an email address').max(254).nullable().optional(),
    locale: z
      .string()
      .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a BCP 47 language tag, e.g. fr or en-GB')
      .max(35)
      .optional(),
  })
  .strict()
  .openapi('NotificationPreferencesInput', {
    description: 'All four switches are required (PUT replaces them). `phone` and `emailAddress`: omitted keeps, null clears (the account’s own is used).',
  });

export const DeviceInput = z
  .object({
    pushToken: Text.min(16).max(4096).openapi({ description: 'The FCM registration token of the app install.' }),
    platform: z.enum(['ios', 'android', 'web']),
  })
  .strict()
  .openapi('DeviceInput');

export const DeviceSchema = z
  .object({ id: z.string(), platform: z.enum(['ios', 'android', 'web']), createdAt: z.string(), lastSeenAt: z.string() })
  .openapi('Device');

export const DevMessageSchema = z
  .object({
    id: z.string(),
    channel: z.enum(['sms', 'email', 'push']),
    to: z.string().openapi({ description: 'Phone number, email address, or push token(s).' }),
    event: z.string().openapi({ example: 'order.in_delivery' }),
    locale: z.string(),
    subject: z.string().optional().openapi({ description: 'Email subject or push title.' }),
    body: z.string().openapi({ description: 'The rendered text as sent.' }),
    orderId: z.string().optional(),
    at: z.string(),
  })
  .openapi('DevMessage');
