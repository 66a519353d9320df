-- Time partitioning (issue 18, ADR 0119): outbox by day on created_at, audit_log by month on at.
-- Hand-written (drizzle-kit does not model partitioning); the drizzle schema keeps describing the
-- columns, so `drizzle-kit generate` sees no change. On a filled database the existing table is
-- not copied: it becomes the partition <table>_legacy, bounded above by the end of the period of
-- its newest row (or of today), and is dropped by retention like any other partition once expired.
CREATE FUNCTION pg_temp.partition_by_time(tbl text, col text, period text, ahead int) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  defs text[];
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
  -- The secondary indexes as they are defined today, rebuilt on the parent under the same names.
  SELECT coalesce(array_agg(pg_get_indexdef(indexrelid)), '{}') INTO defs
    FROM pg_index WHERE indrelid = tbl::regclass AND NOT indisprimary;
  FOR d IN SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = tbl::regclass AND NOT indisprimary LOOP
    EXECUTE format('DROP INDEX %s', d);
  END LOOP;
  EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I', tbl, tbl || '_pkey');
  EXECUTE format('ALTER TABLE %I RENAME TO %I', tbl, legacy);
  EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING COMMENTS) PARTITION BY RANGE (%I)', tbl, legacy, col);
  -- A primary key of a partitioned table must contain the partition key.
  EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I PRIMARY KEY (id, %I)', tbl, tbl || '_pkey', col);
  FOREACH d IN ARRAY defs LOOP
    EXECUTE d;
  END LOOP;
  EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I), max(%I) FROM %I', legacy, col, legacy) INTO has_rows, newest;
  lower := date_trunc(period, greatest(now(), coalesce(newest, now())), 'UTC');
  IF has_rows THEN
    -- Attaching scans the old rows once to check the bound and builds the parent's indexes on them.
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
  -- The safety net: a row outside every partition lands here instead of failing its insert.
  EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', tbl || '_default', tbl);
END
$$;
--> statement-breakpoint
SELECT pg_temp.partition_by_time('outbox', 'created_at', 'day', 7);
--> statement-breakpoint
SELECT pg_temp.partition_by_time('audit_log', 'at', 'month', 2);
--> statement-breakpoint
DROP FUNCTION pg_temp.partition_by_time(text, text, text, int);
