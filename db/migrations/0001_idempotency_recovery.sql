ALTER TABLE "idempotency_keys" ADD COLUMN "resource_id" text;--> statement-breakpoint
ALTER TABLE "idempotency_keys" ADD COLUMN "locked_at" timestamp with time zone;