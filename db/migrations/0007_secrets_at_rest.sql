-- Secrets at rest (security issue, ADR 0083). Written by drizzle-kit, then
-- made to fill the tracking-token hashes of existing orders before it landed
-- (SHA-256 needs no key, so SQL can do it and every link keeps working at
-- once). What needs the data key (sealing the PINs, the tokens and webhook
-- secrets, hashing the PINs) cannot run here: the Worker's seal sweep does it
-- (services/secrets/seal-sweep.ts), and reads fall back to the plaintext
-- columns until it has.
ALTER TABLE "orders" ALTER COLUMN "delivery_pin" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "orders" ALTER COLUMN "tracking_token" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ALTER COLUMN "secret" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "delivery_pin_hash" text;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "delivery_pin_sealed" text;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "tracking_token_hash" text;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "tracking_token_sealed" text;--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ADD COLUMN "secret_sealed" text;--> statement-breakpoint
UPDATE "orders" SET "tracking_token_hash" = encode(sha256(convert_to("tracking_token", 'UTF8')), 'hex') WHERE "tracking_token" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "orders_plaintext_codes_idx" ON "orders" USING btree ("id") WHERE "orders"."delivery_pin" is not null or "orders"."tracking_token" is not null;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_tracking_token_hash_unique" UNIQUE("tracking_token_hash");--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_delivery_pin_stored" CHECK ("orders"."delivery_pin" is not null or ("orders"."delivery_pin_hash" is not null and "orders"."delivery_pin_sealed" is not null));--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_tracking_token_stored" CHECK ("orders"."tracking_token" is not null or ("orders"."tracking_token_hash" is not null and "orders"."tracking_token_sealed" is not null));--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ADD CONSTRAINT "webhook_endpoints_secret_stored" CHECK ("webhook_endpoints"."secret" is not null or "webhook_endpoints"."secret_sealed" is not null);