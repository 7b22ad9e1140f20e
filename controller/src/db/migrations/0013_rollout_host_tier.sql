ALTER TABLE "rollout_hosts" ADD COLUMN "tier" text;--> statement-breakpoint
ALTER TABLE "rollout_hosts" ADD COLUMN "due_by" timestamp with time zone;