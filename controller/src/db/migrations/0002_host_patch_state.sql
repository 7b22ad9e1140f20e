CREATE TABLE "host_patch_state" (
	"host_id" text NOT NULL,
	"patch_id" text NOT NULL,
	"kind" text NOT NULL,
	"status" text NOT NULL,
	"title" text DEFAULT '' NOT NULL,
	"cves" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"packages" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"requires" text,
	"score" integer,
	"tier" text,
	"due_by" timestamp with time zone,
	"reasons" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"assessed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "host_patch_state_host_id_patch_id_pk" PRIMARY KEY("host_id","patch_id")
);
--> statement-breakpoint
ALTER TABLE "host_patch_state" ADD CONSTRAINT "host_patch_state_host_id_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."hosts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "host_patch_state_patch_idx" ON "host_patch_state" USING btree ("patch_id","status");