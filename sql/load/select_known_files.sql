-- Which of :file_paths the warehouse knows: every row a file contributed is written in the same
-- transaction as its manifest entry, so a path without one has nothing to forget.
SELECT file_path FROM ektp_ingest.file_manifest WHERE file_path IN :file_paths;
