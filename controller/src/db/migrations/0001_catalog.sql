CREATE TABLE "catalog_usns" (
	"id" text PRIMARY KEY NOT NULL,
	"title" text NOT NULL,
	"details" text NOT NULL,
	"published" text NOT NULL,
	"modified" text NOT NULL,
	"withdrawn" text,
	"cves" jsonb NOT NULL,
	"cve_facts" jsonb NOT NULL,
	"content_hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "catalog_usn_fixes" (
	"usn_id" text NOT NULL,
	"position" integer NOT NULL,
	"ecosystem" text NOT NULL,
	"release" text NOT NULL,
	"pro" boolean NOT NULL,
	"pro_service" text,
	"variant" text,
	"source_package" text NOT NULL,
	"fixed_version" text,
	"binaries" jsonb NOT NULL,
	"cves" jsonb,
	CONSTRAINT "catalog_usn_fixes_usn_id_position_pk" PRIMARY KEY("usn_id","position")
);
--> statement-breakpoint
CREATE TABLE "catalog_msrc_documents" (
	"id" text PRIMARY KEY NOT NULL,
	"month" text,
	"title" text NOT NULL,
	"initial_release_date" text NOT NULL,
	"current_release_date" text NOT NULL,
	"digest" jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "catalog_kbs" (
	"id" text PRIMARY KEY NOT NULL,
	"month" text,
	"title" text,
	"cves" jsonb NOT NULL,
	"supersedes" jsonb NOT NULL,
	"restart_required" text,
	"hotpatch" boolean NOT NULL
);
--> statement-breakpoint
CREATE TABLE "catalog_kb_products" (
	"kb_id" text NOT NULL,
	"product_id" text NOT NULL,
	"name" text NOT NULL,
	"fixed_build" text,
	CONSTRAINT "catalog_kb_products_kb_id_product_id_pk" PRIMARY KEY("kb_id","product_id")
);
--> statement-breakpoint
CREATE TABLE "catalog_cves" (
	"id" text PRIMARY KEY NOT NULL,
	"cvss_score" double precision,
	"cvss_vector" text,
	"severity" text,
	"exploited" boolean,
	"publicly_disclosed" boolean
);
--> statement-breakpoint
CREATE TABLE "catalog_kev" (
	"cve_id" text PRIMARY KEY NOT NULL,
	"vendor_project" text NOT NULL,
	"product" text NOT NULL,
	"name" text NOT NULL,
	"date_added" date NOT NULL,
	"due_date" date NOT NULL,
	"known_ransomware" boolean NOT NULL
);
--> statement-breakpoint
CREATE TABLE "catalog_epss" (
	"cve_id" text PRIMARY KEY NOT NULL,
	"score" double precision NOT NULL,
	"percentile" double precision NOT NULL,
	"score_date" date NOT NULL,
	"model_version" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "catalog_imports" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" text NOT NULL,
	"feed" text NOT NULL,
	"sources" jsonb NOT NULL,
	"inserted" integer NOT NULL,
	"updated" integer NOT NULL,
	"unchanged" integer NOT NULL,
	"deleted" integer NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone NOT NULL,
	"actor" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "catalog_usn_fixes" ADD CONSTRAINT "catalog_usn_fixes_usn_id_catalog_usns_id_fk" FOREIGN KEY ("usn_id") REFERENCES "public"."catalog_usns"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "catalog_kb_products" ADD CONSTRAINT "catalog_kb_products_kb_id_catalog_kbs_id_fk" FOREIGN KEY ("kb_id") REFERENCES "public"."catalog_kbs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "catalog_usns_cves_idx" ON "catalog_usns" USING gin ("cves");--> statement-breakpoint
CREATE INDEX "catalog_usn_fixes_source_idx" ON "catalog_usn_fixes" USING btree ("source_package","release");--> statement-breakpoint
CREATE INDEX "catalog_kbs_cves_idx" ON "catalog_kbs" USING gin ("cves");--> statement-breakpoint
CREATE INDEX "catalog_kbs_supersedes_idx" ON "catalog_kbs" USING gin ("supersedes");--> statement-breakpoint
CREATE INDEX "catalog_kb_products_name_idx" ON "catalog_kb_products" USING btree ("name");--> statement-breakpoint
CREATE INDEX "catalog_imports_feed_idx" ON "catalog_imports" USING btree ("feed","finished_at");