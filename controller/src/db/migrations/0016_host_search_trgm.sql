-- Host search runs `host_search.text LIKE '%q%'` (hosts/queries.ts): without an index that reads all of host_search (about 190 ms at
-- 50,000 hosts on PostgreSQL); a trigram GIN index answers it in a few ms. pg_trgm is a contrib module: PGlite loads it (PGLITE_EXTENSIONS, db/index.ts);
-- a PostgreSQL server without it, or a role that may not create it, keeps the scan (same answers, slower).
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX IF NOT EXISTS host_search_text_trgm_idx ON host_search USING gin (text gin_trgm_ops);
  END IF;
EXCEPTION WHEN insufficient_privilege THEN
  RAISE NOTICE 'pg_trgm not created (%): host search scans host_search', SQLERRM;
END
$$;
