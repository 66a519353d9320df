-- The order timeline (issue: one order timeline). Written by drizzle-kit, then
-- made safe for a filled database before it landed: the new NOT NULL columns
-- are added nullable, backfilled, then constrained.
ALTER TABLE "order_status_events" ADD COLUMN "seq" integer;--> statement-breakpoint
ALTER TABLE "order_status_events" ADD COLUMN "type" text;--> statement-breakpoint
ALTER TABLE "order_status_events" ADD COLUMN "snapshot" jsonb;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "number" text;--> statement-breakpoint
ALTER TABLE "orders" ADD COLUMN "seq" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Existing history is numbered by time, per order.
UPDATE "order_status_events" e SET "seq" = n."rn"
  FROM (SELECT "id", row_number() OVER (PARTITION BY "order_id" ORDER BY "at", "id") AS "rn" FROM "order_status_events") n
  WHERE e."id" = n."id";--> statement-breakpoint
UPDATE "orders" o SET "seq" = c."n"
  FROM (SELECT "order_id", count(*)::int AS "n" FROM "order_status_events" GROUP BY "order_id") c
  WHERE o."id" = c."order_id";--> statement-breakpoint
-- Existing orders get a number from the same alphabet as domain/order.ts (34679ACDEFGHJKMNPQRTWXY, 7 characters).
UPDATE "orders" SET "number" = (
  SELECT string_agg(substr('34679ACDEFGHJKMNPQRTWXY', 1 + floor(random() * 23)::int, 1), '')
  FROM generate_series(1, 7) WHERE "orders"."id" IS NOT NULL
);--> statement-breakpoint
ALTER TABLE "order_status_events" ALTER COLUMN "seq" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "orders" ALTER COLUMN "number" SET NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "order_status_events_order_seq_uq" ON "order_status_events" USING btree ("order_id","seq");--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_number_unique" UNIQUE("number");
