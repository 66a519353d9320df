ALTER TABLE "orders" ADD COLUMN "scheduled_start" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "scheduled_end" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "release_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "released_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "orders_release_due_idx" ON "orders" USING btree ("release_at") WHERE "orders"."release_at" is not null and "orders"."released_at" is null;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_schedule_complete" CHECK (("orders"."scheduled_start" is null) = ("orders"."scheduled_end" is null) and ("orders"."scheduled_start" is null) = ("orders"."release_at" is null) and ("orders"."scheduled_end" is null or "orders"."scheduled_end" > "orders"."scheduled_start"));