CREATE TABLE "health_daily" (
	"host_id" text NOT NULL,
	"day" timestamp with time zone NOT NULL,
	"samples" integer NOT NULL,
	"covered_sec" integer NOT NULL,
	"app_crashes" integer DEFAULT 0 NOT NULL,
	"kernel_crashes" integer DEFAULT 0 NOT NULL,
	"service_failures" integer DEFAULT 0 NOT NULL,
	"unexpected_shutdowns" integer DEFAULT 0 NOT NULL,
	"probe_failures" integer DEFAULT 0 NOT NULL,
	"probe_runs" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "health_daily_host_id_day_pk" PRIMARY KEY("host_id","day")
);
--> statement-breakpoint
ALTER TABLE "health_daily" ADD CONSTRAINT "health_daily_host_id_hosts_id_fk" FOREIGN KEY ("host_id") REFERENCES "public"."hosts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "health_daily_day_idx" ON "health_daily" USING btree ("day");--> statement-breakpoint
-- The days already rolled up hourly (health/rollup.ts keeps them current from here on).
INSERT INTO "health_daily" ("host_id", "day", "samples", "covered_sec", "app_crashes", "kernel_crashes", "service_failures", "unexpected_shutdowns", "probe_failures", "probe_runs")
SELECT "host_id", date_trunc('day', "hour", 'UTC'), sum("samples")::int, sum("covered_sec")::int, sum("app_crashes")::int, sum("kernel_crashes")::int, sum("service_failures")::int,
       sum("unexpected_shutdowns")::int, sum("probe_failures")::int, sum("probe_runs")::int
FROM "health_hourly" GROUP BY 1, 2;
