-- Shop and dish search (ADR 0101): accents folded by the unaccent extension (shipped with
-- Postgres' contrib, trusted since 13: the database owner may create it). unaccent() is only
-- STABLE (its dictionary could change), so an IMMUTABLE wrapper with the dictionary named in
-- full is what generated columns and indexes may use.
CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public;--> statement-breakpoint
CREATE OR REPLACE FUNCTION public.search_fold(text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$;--> statement-breakpoint
ALTER TABLE "merchants" ADD COLUMN "search_vector" "tsvector" GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, public.search_fold(coalesce(name, '')))) STORED;--> statement-breakpoint
ALTER TABLE "products" ADD COLUMN "search_vector" "tsvector" GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, public.search_fold(coalesce(name, '') || ' ' || coalesce(description, '')))) STORED;--> statement-breakpoint
CREATE INDEX "merchants_search_idx" ON "merchants" USING gin ("search_vector");--> statement-breakpoint
CREATE INDEX "products_search_idx" ON "products" USING gin ("search_vector");
