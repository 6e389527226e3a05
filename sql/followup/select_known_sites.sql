-- Every site code of a loaded batch file (any date), with its smallest site name: a file rejected whole is
-- given to the site whose code begins its name.
SELECT site_code, min(site_name) AS site_name
  FROM ektp_ingest.file_manifest
 WHERE file_kind = 'batch' AND status = 'loaded' AND coalesce(site_code, '') <> ''
 GROUP BY site_code
 ORDER BY site_code;
