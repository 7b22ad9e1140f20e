-- Covering indexes for the cohort sums (safety/cohorts.ts): index-only scans instead of a heap row per host-hour or sample.
-- INCLUDE is written by hand (drizzle cannot spell it); the snapshot lists the key columns only.
CREATE INDEX "health_hourly_host_hour_cover_idx" ON "health_hourly" USING btree ("host_id","hour") INCLUDE ("covered_sec","app_crashes","kernel_crashes","service_failures","unexpected_shutdowns","probe_failures","probe_runs");--> statement-breakpoint
DROP INDEX "health_samples_host_period_idx";--> statement-breakpoint
CREATE INDEX "health_samples_host_period_idx" ON "health_samples" USING btree ("host_id","period_start") INCLUDE ("period_end","app_crashes","kernel_crashes","service_failures","unexpected_shutdowns","probe_failures","probe_runs");
