-- The audit log is append-only, enforced by the database (PostgreSQL and PGlite alike):
-- UPDATE and TRUNCATE are always refused; DELETE is refused unless the retention job
-- (controller/src/audit/retention.ts) set `patchfleet.audit_retention_before` inside its
-- own transaction (set_config(..., true)), and then only for rows older than that horizon,
-- which itself must be at least 30 days in the past. This guards against mistakes and
-- application bugs; a superuser can still drop the trigger (see the README).
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  horizon_text text;
  horizon timestamptz;
BEGIN
  IF TG_OP = 'DELETE' THEN
    horizon_text := current_setting('patchfleet.audit_retention_before', true);
    IF horizon_text IS NOT NULL AND horizon_text <> '' THEN
      horizon := horizon_text::timestamptz;
      IF horizon > now() - interval '30 days' THEN
        RAISE EXCEPTION 'audit_log retention horizon % is less than 30 days old', horizon_text USING ERRCODE = 'insufficient_privilege';
      END IF;
      IF OLD.at < horizon THEN
        RETURN OLD;
      END IF;
    END IF;
  END IF;
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
--> statement-breakpoint
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
