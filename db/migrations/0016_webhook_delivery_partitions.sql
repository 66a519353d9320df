-- Webhook deliveries partitioned by day on the event's time (issue 18, ADR 0126), so the 30-day
-- retention drops whole days instead of deleting rows. Hand-written, like 0013 (drizzle-kit does
-- not model partitioning; the drizzle schema describes the column and the unique index).
-- event_at is the payload's createdAt: every attempt of an event computes the same value, so the
-- unique key (endpoint_id, event_id, attempt, event_at) still makes two racing consumers conflict.
-- Existing rows are filled from their payload once (one pass over at most 30 days of rows), then
-- the table becomes the partition webhook_deliveries_legacy and is dropped by retention in turn.
ALTER TABLE "webhook_deliveries" ADD COLUMN "event_at" timestamp with time zone;
--> statement-breakpoint
UPDATE "webhook_deliveries"
   SET "event_at" = CASE WHEN "payload"->>'createdAt' ~ '^\d{4}-\d{2}-\d{2}T' THEN ("payload"->>'createdAt')::timestamptz ELSE "created_at" END;
--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ALTER COLUMN "event_at" SET NOT NULL;
--> statement-breakpoint
DROP INDEX "webhook_deliveries_endpoint_event_attempt_uq";
--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_deliveries_endpoint_event_attempt_uq" ON "webhook_deliveries" USING btree ("endpoint_id","event_id","attempt","event_at");
--> statement-breakpoint
-- 0013's conversion, plus the table's foreign keys re-created on the parent (LIKE copies none).
CREATE FUNCTION pg_temp.partition_by_time(tbl text, col text, period text, ahead int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  defs text[];
  fks text[];
  d text;
  legacy text := tbl || '_legacy';
  step interval := ('1 ' || period)::interval;
  fmt text := CASE period WHEN 'day' THEN 'YYYYMMDD' ELSE 'YYYYMM' END;
  newest timestamptz;
  has_rows boolean;
  lower timestamptz;
  upper timestamptz;
  last_lower timestamptz := date_trunc(period, now(), 'UTC') + ahead * step;
BEGIN
  SELECT coalesce(array_agg(pg_get_indexdef(indexrelid)), '{}') INTO defs
    FROM pg_index WHERE indrelid = tbl::regclass AND NOT indisprimary;
  SELECT coalesce(array_agg(format('ALTER TABLE %I ADD CONSTRAINT %I %s', tbl, conname, pg_get_constraintdef(oid))), '{}') INTO fks
    FROM pg_constraint WHERE conrelid = tbl::regclass AND contype = 'f';
  FOR d IN SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = tbl::regclass AND NOT indisprimary LOOP
    EXECUTE format('DROP INDEX %s', d);
  END LOOP;
  EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', tbl, tbl || '_pkey');
  EXECUTE format('ALTER TABLE %I RENAME TO %I', tbl, legacy);
  EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS) PARTITION BY RANGE (%I)', tbl, legacy, col);
  EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I PRIMARY KEY (id, %I)', tbl, tbl || '_pkey', col);
  FOREACH d IN ARRAY defs LOOP
    EXECUTE d;
  END LOOP;
  FOREACH d IN ARRAY fks LOOP
    EXECUTE d;
  END LOOP;
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I), max(%I) FROM %I', legacy, col, legacy) INTO has_rows, newest;
  lower := date_trunc(period, greatest(now(), coalesce(newest, now())), 'UTC');
  IF has_rows THEN
    lower := lower + step;
    EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (MINVALUE) TO (%L)', tbl, legacy, lower);
  ELSE
    EXECUTE format('DROP TABLE %I', legacy);
  END IF;
  WHILE lower <= last_lower LOOP
    upper := lower + step;
    EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
      tbl || '_p' || to_char(lower AT TIME ZONE 'UTC', fmt), tbl, lower, upper);
    lower := upper;
  END LOOP;
  EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', tbl || '_default', tbl);
END
$$;
--> statement-breakpoint
SELECT pg_temp.partition_by_time('webhook_deliveries', 'event_at', 'day', 7);
--> statement-breakpoint
DROP FUNCTION pg_temp.partition_by_time(text, text, text, int);
