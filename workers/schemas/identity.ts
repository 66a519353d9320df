/** Request and response shapes of the Identity section of the API (OpenAPI components). */
import { z } from '@hono/zod-openapi';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../services/auth/password';
import { ACCESS_TOKEN_TTL_SECONDS } from '../services/auth/tokens';
import { LatLngSchema } from './common';
import { IdText, Text } from './text';

export const EmailSchema = z.email({ error: 'Enter a valid email address.' }).max(254).openapi({ example: 'ada@example.com' });

export const PasswordSchema = z
  .string()
  .min(MIN_PASSWORD_LENGTH, { error: `Use at least ${MIN_PASSWORD_LENGTH} characters.` })
  .max(MAX_PASSWORD_LENGTH, { error: `Use at most ${MAX_PASSWORD_LENGTH} characters.` })
  .openapi({ description: `${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters.`, example: 'correct horse battery staple' });

export const PersonNameSchema = Text.trim().min(1, { error: 'Enter a name.' }).max(100).openapi({ example: 'Ada Lovelace' });

export const PhoneSchema = z
  .string()
  .regex(/^\+[1-9]\d{6,14}$/, { error: 'Use the international format, e.g. +33612345678.' })
  .openapi({ description: 'E.164', example: '+33612345678' });

const IdSchema = IdText;

export const BusinessSchema = z
  .object({
    name: Text.trim().min(1, { error: 'Enter the business name.' }).max(120),
    kind: z.enum(['restaurant', 'store', 'pharmacy']),
    address: Text.trim().min(1, { error: 'Enter the address.' }).max(300),
    location: LatLngSchema,
    cityId: IdSchema.openapi({ description: 'One of GET /v1/cities' }),
  })
  .openapi('BusinessRegistration');

const accountFields = {
  email: EmailSchema,
  password: PasswordSchema,
  name: PersonNameSchema,
  phone: PhoneSchema.optional(),
};

export const RegisterBodySchema = z
  .discriminatedUnion('role', [
    z.object({ role: z.literal('customer'), ...accountFields }).openapi('CustomerRegistration'),
    z.object({ role: z.literal('merchant'), ...accountFields, business: BusinessSchema }).openapi('MerchantRegistration'),
    z
      .object({
        role: z.literal('driver'),
        ...accountFields,
        vehicle: z.enum(['bike', 'scooter', 'car']),
        cityId: IdSchema.openapi({ description: 'One of GET /v1/cities' }),
      })
      .openapi('DriverRegistration'),
  ])
  .openapi('Registration', {
    description:
      'Self-registration. `role` is customer, merchant or driver; operators are created by command only, so any other role is refused (422). Unknown fields are ignored.',
  });

export const LoginBodySchema = z
  .object({
    email: EmailSchema,
    password: z.string().min(1).max(MAX_PASSWORD_LENGTH),
    deviceToken: Text.max(2000).optional().openapi({
      description:
        'The `deviceToken` of an earlier sign-in on this device (apps; browsers send the `device` cookie instead). A device that has signed in before is not slowed by failures made elsewhere against the account.',
    }),
  })
  .openapi('Login');

export const RefreshBodySchema = z
  .object({
    refreshToken: Text.min(1)
      .max(200)
      .optional()
      .openapi({ example: 'rt_…', description: 'The current refresh token; left out by the web apps, whose refresh cookie is used (X-Session-App, ADR 0087).' }),
  })
  .openapi('Refresh');

export const LogoutBodySchema = z
  .object({ refreshToken: Text.min(1).max(200).optional() })
  .openapi('Logout', { description: 'Optional: a refresh token of the caller whose family is revoked as well.' });

export const UserSchema = z
  .object({
    id: z.string().openapi({ example: 'usr_0h3k9x2m4p6r8t0v2x4z' }),
    role: z.enum(['customer', 'merchant', 'driver', 'ops', 'admin']),
    email: z.string(),
    name: z.string(),
    phone: z.string().nullable(),
    locale: z.string(),
    merchantId: z.string().nullable().openapi({ description: 'The business a merchant account acts for.' }),
    merchantRole: z.enum(['owner', 'manager', 'staff']).nullable(),
    driverId: z.string().nullable(),
    createdAt: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('User');

/** Absent from the body when the request named a web app (X-Session-App): the tokens are then in its cookies (ADR 0087). */
const IN_COOKIES = 'Absent when the request names a web app (`X-Session-App`): the tokens are then set in that app’s HttpOnly cookies, never in the body.';

export const TokenPairSchema = z.object({
  accessToken: z.string().optional().openapi({ description: `JWT (HS256), valid ${ACCESS_TOKEN_TTL_SECONDS / 60} minutes. ${IN_COOKIES}` }),
  refreshToken: z.string().optional().openapi({ description: `Opaque; single use: every refresh returns a new one. ${IN_COOKIES}` }),
  tokenType: z.literal('Bearer').optional().openapi({ description: IN_COOKIES }),
  expiresIn: z.number().int().openapi({ description: 'Seconds until the access token (or its cookie) expires.', example: ACCESS_TOKEN_TTL_SECONDS }),
});

export const SessionSchema = TokenPairSchema.extend({ user: UserSchema }).openapi('Session');

export const LoginSessionSchema = SessionSchema.extend({
  deviceToken: z.string().optional().openapi({
    description:
      'Marks this device as known to the account (180 days): send it back at the next sign-in (browsers get it as the HttpOnly `device` cookie too). Absent for the web apps (`X-Session-App`), which keep it in that cookie only (ADR 0087).',
  }),
}).openapi('LoginSession');
