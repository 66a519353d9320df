/**
 * Secrets the Worker expects, with values that are only ever valid against the
 * local fakes. Real values are set with `wrangler secret put` in production.
 */
export const TEST_SECRETS = {
  JWT_SIGNING_KEYS: JSON.stringify([{ kid: 'test-1', secret: 'test-signing-key-0123456789abcdef0123456789abcdef' }]),
  STRIPE_SECRET_KEY: 'sk_test_local_fake',
  STRIPE_WEBHOOK_SECRET: 'whsec_local_fake_secret',
  TWILIO_ACCOUNT_SID: 'ACfakefakefakefakefakefakefakefake0',
  TWILIO_AUTH_TOKEN: 'local-fake-twilio-auth-token',
  FCM_SERVICE_ACCOUNT: '{}',
  EMAIL_API_TOKEN: 'local-fake-email-token',
  // ADR 0083: base64url of 32 bytes. The rotation tests build keyrings of their own.
  DATA_ENCRYPTION_KEYS: JSON.stringify([{ kid: 'test-1', secret: 'dGVzdC1kYXRhLWtleS0xLTAxMjM0NTY3ODlhYmNkZWY' }]),
} as const;
