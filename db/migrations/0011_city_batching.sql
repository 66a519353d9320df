ALTER TABLE "cities" ADD COLUMN "batching_enabled" boolean DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE "cities" ADD COLUMN "batch_max_added_detour_seconds" integer DEFAULT 420 NOT NULL;--> statement-breakpoint
ALTER TABLE "cities" ADD COLUMN "batch_max_added_detour_m" integer DEFAULT 2500 NOT NULL;--> statement-breakpoint
ALTER TABLE "cities" ADD COLUMN "delivery_promise_minutes" integer DEFAULT 45 NOT NULL;--> statement-breakpoint
ALTER TABLE "cities" ADD CONSTRAINT "cities_batch_bounds" CHECK ("cities"."batch_max_added_detour_seconds" >= 0 and "cities"."batch_max_added_detour_m" >= 0 and "cities"."delivery_promise_minutes" > 0);