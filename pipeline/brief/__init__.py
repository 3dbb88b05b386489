"""The batch's brief, read from the published marts only: what `povexit report` writes.

- `labels`: the bilingual words (zh/en): section titles, column headers, the values of the
  marts' coded columns (verdict, decision, confidence, risk reason, ...) in Chinese;
- `announcement`: the paragraph in the manner of the November 2020 press release
  (templates `templates/announcement.zh.j2` and `announcement.en.j2`);
- `text`: the text report and its markdown form, in either language;
- `workbook`: the office workbook (xlsx), one sheet per table an office works from;
- `html` and `charts`: the self-contained HTML page with its charts;
- `output`: writing a file so that no reader ever sees half of it.

Nothing here opens a raw file or a working database: a brief is written from a read-only
connection to `exit_assessment.duckdb`.
"""
