ALTER TABLE "cities" ADD COLUMN "service_zones" jsonb;--> statement-breakpoint
ALTER TABLE "cities" ADD COLUMN "delivery_fee_schedule" jsonb;--> statement-breakpoint
ALTER TABLE "merchants" ADD COLUMN "opening_hours" jsonb;--> statement-breakpoint
ALTER TABLE "merchants" ADD COLUMN "timezone" text;--> statement-breakpoint
ALTER TABLE "merchants" ADD COLUMN "busy_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "merchants" ADD COLUMN "busy_extra_minutes" integer DEFAULT 15 NOT NULL;--> statement-breakpoint
ALTER TABLE "merchants" ADD CONSTRAINT "merchants_busy_extra_minutes_range" CHECK ("merchants"."busy_extra_minutes" between 0 and 240);