-- Reconciliation sweeps (issue 12): outbox consumption acknowledged, orders
-- the merchant never accepts escalated and cancelled. Written by drizzle-kit,
-- then made safe for a filled database before it landed: events published
-- before the consumer acknowledged anything are taken as consumed, so the
-- redelivery sweep does not send a week of history again.
ALTER TABLE "cities" ADD COLUMN "merchant_escalate_after_seconds" integer DEFAULT 300 NOT NULL;--> statement-breakpoint
ALTER TABLE "cities" ADD COLUMN "merchant_auto_cancel_after_seconds" integer DEFAULT 900 NOT NULL;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "escalated_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "consumed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "retry_due_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "republishes" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "republished_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "parked_at" timestamp with time zone;--> statement-breakpoint
UPDATE "outbox" SET "consumed_at" = "published_at" WHERE "published_at" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "orders_placed_at_idx" ON "orders" USING btree ("placed_at") WHERE "orders"."status" = 'placed';--> statement-breakpoint
CREATE INDEX "outbox_unconsumed_idx" ON "outbox" USING btree ("published_at") WHERE "outbox"."published_at" is not null and "outbox"."consumed_at" is null;--> statement-breakpoint
ALTER TABLE "cities" ADD CONSTRAINT "cities_merchant_deadlines" CHECK ("cities"."merchant_escalate_after_seconds" > 0 and "cities"."merchant_auto_cancel_after_seconds" > "cities"."merchant_escalate_after_seconds");