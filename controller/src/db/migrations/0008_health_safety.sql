CREATE TABLE "controller_settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"updated_by" text NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "health_hourly" (
	"host_id" text NOT NULL,
	"hour" timestamp with time zone NOT NULL,
	"samples" integer NOT NULL,
	"covered_sec" integer NOT NULL,
	"app_crashes" integer DEFAULT 0 NOT NULL,
	"kernel_crashes" integer DEFAULT 0 NOT NULL,
	"service_failures" integer DEFAULT 0 NOT NULL,
	"unexpected_shutdowns" integer DEFAULT 0 NOT NULL,
	"probe_failures" integer DEFAULT 0 NOT NULL,
	"probe_runs" integer DEFAULT 0 NOT NULL,
	"boot_ids" text[] DEFAULT '{}' NOT NULL,
	CONSTRAINT "health_hourly_host_id_hour_pk" PRIMARY KEY("host_id","hour")
);
--> statement-breakpoint
CREATE TABLE "health_samples" (
	"host_id" text NOT NULL,
	"epoch" text NOT NULL,
	"seq" bigint NOT NULL,
	"period_start" timestamp with time zone NOT NULL,
	"period_end" timestamp with time zone NOT NULL,
	"boot_id" text DEFAULT '' NOT NULL,
	"uptime_sec" bigint,
	"app_crashes" integer,
	"kernel_crashes" integer,
	"service_failures" integer,
	"unexpected_shutdowns" integer,
	"probe_failures" integer,
	"probe_runs" integer,
	"unavailable" text[] DEFAULT '{}' NOT NULL,
	"events" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	CONSTRAINT "health_samples_host_id_epoch_seq_pk" PRIMARY KEY("host_id","epoch","seq")
);
--> statement-breakpoint
CREATE TABLE "probes" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"spec" jsonb NOT NULL,
	"scope" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"timeout_ms" integer DEFAULT 5000 NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "probes_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "incidents" (
	"id" text PRIMARY KEY NOT NULL,
	"patch_id" text NOT NULL,
	"rollout_id" text,
	"host_class" text,
	"gate" text NOT NULL,
	"state" text NOT NULL,
	"summary" text NOT NULL,
	"evidence" jsonb NOT NULL,
	"rollback_policy" text NOT NULL,
	"harmed_hosts" text[] DEFAULT '{}' NOT NULL,
	"rolled_back_hosts" text[] DEFAULT '{}' NOT NULL,
	"timeline" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"opened_at" timestamp with time zone NOT NULL,
	"resolved_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "patch_blocks" (
	"id" text PRIMARY KEY NOT NULL,
	"patch_id" text NOT NULL,
	"host_class" text,
	"state" text NOT NULL,
	"reason" text NOT NULL,
	"incident_id" text,
	"rollout_id" text,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"lift_requested_by" text,
	"lift_requested_person" text,
	"lift_requested_at" timestamp with time zone,
	"lift_reason" text,
	"lifted_by" text,
	"lifted_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "catalog_remediations" (
	"cve_id" text NOT NULL,
	"type" text NOT NULL,
	"ordinal" integer NOT NULL,
	"description" text NOT NULL,
	"url" text,
	"product_ids" text[] DEFAULT '{}' NOT NULL,
	"document_id" text,
	CONSTRAINT "catalog_remediations_cve_id_type_ordinal_pk" PRIMARY KEY("cve_id","type","ordinal")
);
--> statement-breakpoint
CREATE TABLE "known_issues" (
	"id" text PRIMARY KEY NOT NULL,
	"patch_id" text NOT NULL,
	"released" date,
	"status" text NOT NULL,
	"symptom" text NOT NULL,
	"scope" text DEFAULT '' NOT NULL,
	"fixed_by" text,
	"fixed_on" date,
	"source" text DEFAULT '' NOT NULL,
	"imported_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "mitigations" (
	"id" text PRIMARY KEY NOT NULL,
	"patch_id" text NOT NULL,
	"description" text NOT NULL,
	"owner" text NOT NULL,
	"scope" jsonb NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"state" text NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "reliability_history" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"patch_id" text NOT NULL,
	"host_class" text DEFAULT '' NOT NULL,
	"score" integer NOT NULL,
	"confidence" real NOT NULL,
	"reasons" jsonb NOT NULL,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reliability_scores" (
	"patch_id" text NOT NULL,
	"host_class" text DEFAULT '' NOT NULL,
	"score" integer NOT NULL,
	"confidence" real NOT NULL,
	"p_harm" real NOT NULL,
	"reasons" jsonb NOT NULL,
	"evidence" jsonb NOT NULL,
	"computed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "reliability_scores_patch_id_host_class_pk" PRIMARY KEY("patch_id","host_class")
);
--> statement-breakpoint
ALTER TABLE "hosts" ADD COLUMN "boot_id" text;--> statement-breakpoint
ALTER TABLE "hosts" ADD COLUMN "boot_seen_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "rings" ADD COLUMN "health" jsonb DEFAULT '{"rollback":"harmed","rebootGraceMin":30,"alpha":0.01}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "rollout_hosts" ADD COLUMN "installed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "rollout_hosts" ADD COLUMN "boot_id_before" text;--> statement-breakpoint
ALTER TABLE "rollout_hosts" ADD COLUMN "boot_state" text DEFAULT 'none' NOT NULL;--> statement-breakpoint
ALTER TABLE "rollout_hosts" ADD COLUMN "reboot_due_by" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "health_hourly" ADD CONSTRAINT "health_hourly_host_id_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."hosts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "health_samples" ADD CONSTRAINT "health_samples_host_id_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."hosts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "health_hourly_hour_idx" ON "health_hourly" USING btree ("hour");--> statement-breakpoint
CREATE INDEX "health_samples_host_period_idx" ON "health_samples" USING btree ("host_id","period_start");--> statement-breakpoint
CREATE INDEX "health_samples_period_end_idx" ON "health_samples" USING btree ("period_end");--> statement-breakpoint
CREATE INDEX "incidents_patch_idx" ON "incidents" USING btree ("patch_id");--> statement-breakpoint
CREATE INDEX "incidents_opened_idx" ON "incidents" USING btree ("opened_at");--> statement-breakpoint
CREATE INDEX "patch_blocks_patch_idx" ON "patch_blocks" USING btree ("patch_id","state");--> statement-breakpoint
CREATE INDEX "known_issues_patch_idx" ON "known_issues" USING btree ("patch_id");--> statement-breakpoint
CREATE INDEX "mitigations_patch_idx" ON "mitigations" USING btree ("patch_id");--> statement-breakpoint
CREATE INDEX "reliability_history_patch_idx" ON "reliability_history" USING btree ("patch_id","host_class","at");