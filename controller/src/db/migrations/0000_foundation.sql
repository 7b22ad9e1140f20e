CREATE TABLE "hosts" (
	"id" text PRIMARY KEY NOT NULL,
	"hostname" text NOT NULL,
	"fqdn" text,
	"os_platform" text DEFAULT 'unknown' NOT NULL,
	"os_id" text DEFAULT '' NOT NULL,
	"os_name" text DEFAULT '' NOT NULL,
	"os_version" text DEFAULT '' NOT NULL,
	"kernel" text DEFAULT '' NOT NULL,
	"arch" text DEFAULT '' NOT NULL,
	"hw_vendor" text DEFAULT '' NOT NULL,
	"hw_model" text DEFAULT '' NOT NULL,
	"hw_serial" text DEFAULT '' NOT NULL,
	"addresses" text[] DEFAULT '{}'::text[] NOT NULL,
	"labels" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"facts" jsonb,
	"status" text DEFAULT 'active' NOT NULL,
	"enrollment_token_id" text,
	"enrolled_at" timestamp with time zone NOT NULL,
	"last_seen_at" timestamp with time zone,
	"last_report_at" timestamp with time zone,
	"last_seq" bigint DEFAULT 0 NOT NULL,
	"package_count" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "agent_keys" (
	"public_key" text PRIMARY KEY NOT NULL,
	"host_id" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "enrollment_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"token_hash" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"labels" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"max_uses" integer NOT NULL,
	"uses" integer DEFAULT 0 NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	"created_by" text NOT NULL,
	CONSTRAINT "enrollment_tokens_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "inventory_snapshots" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"host_id" text NOT NULL,
	"seq" bigint NOT NULL,
	"kind" text NOT NULL,
	"collected_at" timestamp with time zone NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"package_count" integer NOT NULL,
	"added" integer DEFAULT 0 NOT NULL,
	"removed" integer DEFAULT 0 NOT NULL,
	"changed" integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "installed_packages" (
	"host_id" text NOT NULL,
	"manager" text NOT NULL,
	"name" text NOT NULL,
	"arch" text NOT NULL,
	"version" text NOT NULL,
	"source_name" text NOT NULL,
	"source_version" text NOT NULL,
	CONSTRAINT "installed_packages_host_id_manager_name_arch_pk" PRIMARY KEY("host_id","manager","name","arch")
);
--> statement-breakpoint
CREATE TABLE "host_sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"host_id" text NOT NULL,
	"controller_id" text NOT NULL,
	"remote_address" text DEFAULT '' NOT NULL,
	"agent_version" text DEFAULT '' NOT NULL,
	"connected_at" timestamp with time zone NOT NULL,
	"last_seen_at" timestamp with time zone NOT NULL,
	"disconnected_at" timestamp with time zone,
	"close_reason" text
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"target_type" text NOT NULL,
	"target_id" text NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"request_id" text
);
--> statement-breakpoint
CREATE TABLE "api_tokens" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"token_hash" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "api_tokens_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
ALTER TABLE "agent_keys" ADD CONSTRAINT "agent_keys_host_id_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."hosts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "inventory_snapshots" ADD CONSTRAINT "inventory_snapshots_host_id_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."hosts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "installed_packages" ADD CONSTRAINT "installed_packages_host_id_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."hosts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "host_sessions" ADD CONSTRAINT "host_sessions_host_id_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."hosts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "hosts_hostname_idx" ON "hosts" USING btree ("hostname");--> statement-breakpoint
CREATE INDEX "hosts_serial_idx" ON "hosts" USING btree ("hw_serial");--> statement-breakpoint
CREATE INDEX "agent_keys_host_idx" ON "agent_keys" USING btree ("host_id");--> statement-breakpoint
CREATE INDEX "inventory_snapshots_host_idx" ON "inventory_snapshots" USING btree ("host_id","received_at");--> statement-breakpoint
CREATE INDEX "installed_packages_source_idx" ON "installed_packages" USING btree ("source_name");--> statement-breakpoint
CREATE INDEX "host_sessions_host_idx" ON "host_sessions" USING btree ("host_id","connected_at");--> statement-breakpoint
CREATE INDEX "audit_log_at_idx" ON "audit_log" USING btree ("at");--> statement-breakpoint
CREATE INDEX "audit_log_target_idx" ON "audit_log" USING btree ("target_type","target_id");