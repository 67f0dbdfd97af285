-- Why: operators flag bad fixes (multipath, cold start) so that processor's reads, all of them
-- `WHERE faulty = false`, skip them. Its own file because it arrived after positions shipped.
-- Idempotent: ADD COLUMN IF NOT EXISTS.
ALTER TABLE positions ADD COLUMN IF NOT EXISTS faulty boolean NOT NULL DEFAULT false;
