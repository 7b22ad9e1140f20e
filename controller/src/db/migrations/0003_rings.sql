CREATE TABLE "rings" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"position" integer NOT NULL,
	"percent" integer,
	"deferral_days" integer DEFAULT 0 NOT NULL,
	"deadline_days" integer DEFAULT 0 NOT NULL,
	"grace_days" integer DEFAULT 0 NOT NULL,
	"windows" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"wave_size" integer DEFAULT 0 NOT NULL,
	"max_concurrent" integer DEFAULT 0 NOT NULL,
	"soak_hours" integer DEFAULT 0 NOT NULL,
	"promotion" jsonb NOT NULL,
	"reboot" jsonb NOT NULL,
	"approval_required" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "rings_name_unique" UNIQUE("name")
);
--> statement-breakpoint
CREATE TABLE "ring_pins" (
	"host_id" text PRIMARY KEY NOT NULL,
	"ring_id" text NOT NULL,
	"pinned_at" timestamp with time zone NOT NULL,
	"pinned_by" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ring_rules" (
	"id" text PRIMARY KEY NOT NULL,
	"position" integer NOT NULL,
	"match" jsonb NOT NULL,
	"ring_id" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "ring_assignments" (
	"host_id" text PRIMARY KEY NOT NULL,
	"ring_id" text NOT NULL,
	"reason" text NOT NULL,
	"assigned_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "ring_pins" ADD CONSTRAINT "ring_pins_host_id_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."hosts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ring_pins" ADD CONSTRAINT "ring_pins_ring_id_rings_id_fk" FOREIGN KEY ("ring_id") REFERENCES "public"."rings"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ring_rules" ADD CONSTRAINT "ring_rules_ring_id_rings_id_fk" FOREIGN KEY ("ring_id") REFERENCES "public"."rings"("id") ON DELETE restrict ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ring_assignments" ADD CONSTRAINT "ring_assignments_host_id_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."hosts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ring_assignments" ADD CONSTRAINT "ring_assignments_ring_id_rings_id_fk" FOREIGN KEY ("ring_id") REFERENCES "public"."rings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "ring_assignments_ring_idx" ON "ring_assignments" USING btree ("ring_id");