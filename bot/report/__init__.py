"""The implementation report to the IAAC, in the office's five-column format (DOCX).

- `compose.py` (channel-agnostic) writes every measure's column 5 from the statistics
  core, staff's offline entries and notes, and works out "Хэрэгжилт N%";
- `writer.py` lays the report out as the reference document (python-docx);
- `build.py` does both: `make_report(b, content_dir, year, half, now)`;
- `reminders.py` says when the staff group is reminded (14, 7 and 1 days before the
  June 10 and December 10 deadlines), once a day across restarts;
- `cli.py` is `python -m bot report --year Y [--half 1|2] --out PATH.docx`.

Nothing is imported here, so `python -m bot run` does not load python-docx.
"""
