ALTER TABLE "rings" ALTER COLUMN "health" SET DEFAULT '{"rollback":"harmed","rebootGraceMin":30,"alpha":0.01,"watchHours":168}'::jsonb;--> statement-breakpoint
-- Rings made before the post-install watch existed get the default watch (an admin can change it: rings set --watch-hours).
UPDATE "rings" SET "health" = "health" || '{"watchHours":168}'::jsonb WHERE NOT ("health" ? 'watchHours');
