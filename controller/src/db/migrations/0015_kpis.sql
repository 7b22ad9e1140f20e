CREATE TABLE "host_patch_summary" (
	"host_id" text PRIMARY KEY NOT NULL,
	"missing" integer NOT NULL,
	"first_due_by" timestamp with time zone,
	"assessed_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "host_search" (
	"host_id" text PRIMARY KEY NOT NULL,
	"text" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "hosts" ADD COLUMN "login_users" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
ALTER TABLE "rollout_hosts" ADD COLUMN "tier" text;--> statement-breakpoint
ALTER TABLE "rollout_hosts" ADD COLUMN "due_by" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "host_patch_summary" ADD CONSTRAINT "host_patch_summary_host_id_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."hosts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "host_search" ADD CONSTRAINT "host_search_host_id_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."hosts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "hosts_status_enrolled_idx" ON "hosts" USING btree ("id","status","enrolled_at");--> statement-breakpoint
CREATE INDEX "audit_log_action_at_idx" ON "audit_log" USING btree ("action","at");--> statement-breakpoint
CREATE INDEX "host_patch_state_urgent_idx" ON "host_patch_state" USING btree ("patch_id","host_id") WHERE status = 'missing' and tier in ('critical', 'high');--> statement-breakpoint
CREATE INDEX "rollout_hosts_host_idx" ON "rollout_hosts" USING btree ("host_id","state_at");--> statement-breakpoint
CREATE INDEX "rollout_hosts_installed_idx" ON "rollout_hosts" USING btree ("installed_at");--> statement-breakpoint
-- Hosts that reported before this column existed: their users from the stored facts (the next report rewrites it).
UPDATE "hosts" SET "login_users" = coalesce((SELECT array_agg(DISTINCT u->>'user') FROM jsonb_array_elements("facts"->'users') u WHERE u->>'user' IS NOT NULL), '{}'::text[]) WHERE jsonb_typeof("facts"->'users') = 'array';--> statement-breakpoint
-- host_search (see db/schema/host-search.ts), kept by a trigger so that every writer of hosts (enrollment, inventory, revocation) keeps it right.
CREATE OR REPLACE FUNCTION hosts_search_text() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO host_search (host_id, text)
  VALUES (NEW.id, lower(concat_ws(' ', NEW.id, NEW.hostname, NEW.fqdn, NEW.hw_serial, array_to_string(NEW.addresses, ' '), array_to_string(NEW.login_users, ' '),
    (SELECT string_agg(l.key || '=' || l.value, ' ') FROM jsonb_each_text(NEW.labels) l))))
  ON CONFLICT (host_id) DO UPDATE SET text = excluded.text;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER hosts_search_text AFTER INSERT OR UPDATE OF hostname, fqdn, hw_serial, addresses, login_users, labels ON hosts FOR EACH ROW EXECUTE FUNCTION hosts_search_text();--> statement-breakpoint
INSERT INTO host_search (host_id, text)
SELECT h.id, lower(concat_ws(' ', h.id, h.hostname, h.fqdn, h.hw_serial, array_to_string(h.addresses, ' '), array_to_string(h.login_users, ' '),
  (SELECT string_agg(l.key || '=' || l.value, ' ') FROM jsonb_each_text(h.labels) l)))
FROM hosts h;--> statement-breakpoint
-- host_patch_summary of the hosts assessed before it existed.
INSERT INTO host_patch_summary (host_id, missing, first_due_by, assessed_at)
SELECT host_id, count(*) FILTER (WHERE status = 'missing'), min(due_by) FILTER (WHERE status = 'missing'), max(assessed_at) FROM host_patch_state GROUP BY host_id;
