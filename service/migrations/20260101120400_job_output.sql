-- What a job hands back besides a footprint result (e.g. an import's report and snapshot).
alter table job add column output jsonb;
