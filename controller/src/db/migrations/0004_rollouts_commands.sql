CREATE TABLE "commands" (
	"id" text PRIMARY KEY NOT NULL,
	"host_id" text NOT NULL,
	"action" text NOT NULL,
	"target" text NOT NULL,
	"params" jsonb NOT NULL,
	"issued_at" timestamp with time zone NOT NULL,
	"not_after" timestamp with time zone NOT NULL,
	"signature" text NOT NULL,
	"state" text NOT NULL,
	"state_at" timestamp with time zone NOT NULL,
	"sent_at" timestamp with time zone,
	"acknowledged_at" timestamp with time zone,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"deliveries" integer DEFAULT 0 NOT NULL,
	"rollout_id" text,
	"ring_id" text,
	"result" jsonb,
	"error_code" text,
	"error_message" text,
	"created_by" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rollouts" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"content" jsonb NOT NULL,
	"state" text NOT NULL,
	"state_reason" text,
	"expedite" boolean DEFAULT false NOT NULL,
	"released_at" timestamp with time zone NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rollout_rings" (
	"rollout_id" text NOT NULL,
	"ring_id" text NOT NULL,
	"ring_name" text NOT NULL,
	"position" integer NOT NULL,
	"state" text NOT NULL,
	"state_at" timestamp with time zone NOT NULL,
	"eligible_at" timestamp with time zone NOT NULL,
	"deadline_at" timestamp with time zone NOT NULL,
	"grace_ends_at" timestamp with time zone NOT NULL,
	"approvals_needed" integer DEFAULT 0 NOT NULL,
	"wave" integer DEFAULT 0 NOT NULL,
	"soak_until" timestamp with time zone,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"note" text,
	CONSTRAINT "rollout_rings_rollout_id_ring_id_pk" PRIMARY KEY("rollout_id","ring_id")
);
--> statement-breakpoint
CREATE TABLE "rollout_hosts" (
	"rollout_id" text NOT NULL,
	"host_id" text NOT NULL,
	"ring_id" text NOT NULL,
	"state" text NOT NULL,
	"state_at" timestamp with time zone NOT NULL,
	"packages" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"kb" text,
	"wave" integer,
	"attempts" integer DEFAULT 0 NOT NULL,
	"command_id" text,
	"install_command_id" text,
	"replaced" jsonb,
	"reboot_required" boolean DEFAULT false NOT NULL,
	"error_code" text,
	"deadline_missed_at" timestamp with time zone,
	CONSTRAINT "rollout_hosts_rollout_id_host_id_pk" PRIMARY KEY("rollout_id","host_id")
);
--> statement-breakpoint
CREATE TABLE "rollout_approvals" (
	"rollout_id" text NOT NULL,
	"ring_id" text NOT NULL,
	"approver_token_id" text NOT NULL,
	"approver_name" text NOT NULL,
	"comment" text,
	"at" timestamp with time zone NOT NULL,
	CONSTRAINT "rollout_approvals_once" UNIQUE("rollout_id","ring_id","approver_token_id")
);
--> statement-breakpoint
CREATE TABLE "change_freezes" (
	"id" text PRIMARY KEY NOT NULL,
	"ring_id" text,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"reason" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "commands" ADD CONSTRAINT "commands_host_id_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."hosts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rollout_rings" ADD CONSTRAINT "rollout_rings_rollout_id_rollouts_id_fk" FOREIGN KEY ("rollout_id") REFERENCES "public"."rollouts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rollout_rings" ADD CONSTRAINT "rollout_rings_ring_id_rings_id_fk" FOREIGN KEY ("ring_id") REFERENCES "public"."rings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rollout_hosts" ADD CONSTRAINT "rollout_hosts_rollout_id_rollouts_id_fk" FOREIGN KEY ("rollout_id") REFERENCES "public"."rollouts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rollout_hosts" ADD CONSTRAINT "rollout_hosts_host_id_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."hosts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "rollout_approvals" ADD CONSTRAINT "rollout_approvals_rollout_id_rollouts_id_fk" FOREIGN KEY ("rollout_id") REFERENCES "public"."rollouts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "commands_host_state_idx" ON "commands" USING btree ("host_id","state");--> statement-breakpoint
CREATE INDEX "commands_rollout_idx" ON "commands" USING btree ("rollout_id");--> statement-breakpoint
CREATE INDEX "commands_state_idx" ON "commands" USING btree ("state");--> statement-breakpoint
CREATE INDEX "rollout_hosts_ring_state_idx" ON "rollout_hosts" USING btree ("rollout_id","ring_id","state");