-- The report's header: when the date was published and the extract in force (published tables only).
SELECT max(published_at) AS published_at, max(extract_date) AS extract_date
  FROM (SELECT published_at, extract_date FROM ektp_coverage.kecamatan_daily WHERE report_date = :report_date
        UNION ALL
        SELECT published_at, NULL FROM ektp_coverage.site_daily WHERE report_date = :report_date
        UNION ALL
        SELECT published_at, NULL FROM ektp_coverage.rejections_daily WHERE report_date = :report_date) AS p;
