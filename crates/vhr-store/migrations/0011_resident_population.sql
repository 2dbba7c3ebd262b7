-- The workbench's key-population counts (issue #10) read this narrow index
-- (about 7 MB for 100,000 residents) instead of the resident table with
-- every record's data (124 MB): on a laptop just started, whose disk cache
-- is cold, the numbers took half a minute to appear.
CREATE INDEX resident_population ON resident(status, birth_date, dx_hypertension, dx_diabetes, dx_severe_mental, id);
