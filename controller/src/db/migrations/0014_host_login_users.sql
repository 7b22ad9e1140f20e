ALTER TABLE "hosts" ADD COLUMN "login_users" text[] DEFAULT '{}'::text[] NOT NULL;--> statement-breakpoint
-- Hosts that reported before this column existed: their users from the stored facts (the next report rewrites it).
UPDATE "hosts" SET "login_users" = coalesce((SELECT array_agg(DISTINCT u->>'user') FROM jsonb_array_elements("facts"->'users') u WHERE u->>'user' IS NOT NULL), '{}'::text[]) WHERE jsonb_typeof("facts"->'users') = 'array';
