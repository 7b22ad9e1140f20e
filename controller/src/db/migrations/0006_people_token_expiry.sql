CREATE TABLE "people" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"registrar" boolean DEFAULT false NOT NULL,
	"registered_by" text,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "people_name_unique" UNIQUE("name")
);
--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "person_id" text;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD COLUMN "created_by" text;--> statement-breakpoint
-- Tokens made before people existed: one admin could have minted them all, so they are one person (the registrar).
INSERT INTO "people" ("id", "name", "registrar", "registered_by", "created_at")
  SELECT 'pn_bootstrap', 'bootstrap admin', true, NULL, now() WHERE EXISTS (SELECT 1 FROM "api_tokens");--> statement-breakpoint
UPDATE "api_tokens" SET "person_id" = 'pn_bootstrap' WHERE "person_id" IS NULL;--> statement-breakpoint
-- Older tokens never expired; all but the bootstrap admin token now expire 90 days from the upgrade.
UPDATE "api_tokens" SET "expires_at" = now() + interval '90 days' WHERE "expires_at" IS NULL AND "name" <> 'bootstrap admin';
