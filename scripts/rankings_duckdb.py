"""DuckDB computing the rankings job's indicators on the job's input Parquet
(the same attribution: a fact is credited through its matter, decision or
complaint, of its year or an earlier one, to the act's officers, and to its
body once). The yardstick of
scripts/bench-rankings.sh: python3 scripts/rankings_duckdb.py DIR THREADS."""
import sys
import duckdb

d, threads = sys.argv[1], int(sys.argv[2])
con = duckdb.connect()
con.execute(f"SET threads = {threads}")
con.execute(f"""
CREATE VIEW f AS SELECT * FROM read_parquet('{d}/facts.parquet');
CREATE VIEW l AS SELECT * FROM f UNION ALL SELECT * FROM read_parquet('{d}/refs.parquet');
CREATE VIEW m AS SELECT body r_body, source_id r_source, fid matter FROM l WHERE kind = 1;
CREATE VIEW c AS SELECT body r_body, source_id r_source, fid complaint FROM l WHERE kind = 6;
CREATE VIEW dm AS SELECT l.body r_body, l.source_id r_source, m.matter d_matter
  FROM l LEFT JOIN m ON l.body = m.r_body AND l.ref_source = m.r_source WHERE l.kind = 3;
CREATE VIEW a AS SELECT f.fid, f.body,
  CASE WHEN f.kind IN (2, 3) THEN m.matter WHEN f.kind IN (5, 10) THEN dm.d_matter
       WHEN f.kind = 7 THEN c.complaint ELSE f.fid END AS root,
  (f.kind = 1)::DOUBLE matters, (f.kind = 2 AND NOT f.repeat)::DOUBLE completed, (f.kind = 3)::DOUBLE decisions,
  (f.kind = 5 AND f.wrongful AND NOT f.repeat)::DOUBLE wrongful, (f.kind = 4)::DOUBLE inspections,
  (f.kind = 4 AND f.random)::DOUBLE random_inspections, (f.kind = 6)::DOUBLE complaints,
  (f.kind = 7 AND NOT f.repeat)::DOUBLE complaints_closed, (f.kind = 8)::DOUBLE transfers,
  (f.kind = 8 AND f.transfer_kind = 1)::DOUBLE transfers_a, (f.kind = 8 AND f.transfer_kind = 2)::DOUBLE transfers_b,
  (f.kind = 8 AND f.transfer_kind = 3)::DOUBLE transfers_c,
  CASE WHEN f.kind = 9 THEN f.hours ELSE 0 END training_hours,
  CASE WHEN f.kind = 9 AND f.has_exam THEN f.exam ELSE 0 END exam_sum, (f.kind = 9 AND f.has_exam)::DOUBLE exams,
  (f.kind IN (1, 4))::DOUBLE acts, (f.kind IN (1, 4) AND f.records > 0)::DOUBLE recorded_acts,
  (f.kind = 10)::DOUBLE files_reviewed, (f.kind = 10 AND f.six_ok)::DOUBLE files_passed,
  (f.kind = 3 AND f.penalty)::DOUBLE penalties, (f.kind = 3 AND f.penalty AND f.within)::DOUBLE penalties_within,
  (f.kind = 3 AND f.major)::DOUBLE major_decisions, (f.kind = 3 AND f.major AND f.reviewed)::DOUBLE major_reviewed
  FROM f LEFT JOIN m ON f.body = m.r_body AND f.ref_source = m.r_source
         LEFT JOIN dm ON f.body = dm.r_body AND f.ref_source = dm.r_source
         LEFT JOIN c ON f.body = c.r_body AND f.ref_source = c.r_source;
""")
counts = """sum(matters) matters, sum(completed) completed, sum(decisions) decisions, sum(wrongful) wrongful,
  sum(inspections) inspections, sum(random_inspections) random_inspections, sum(complaints) complaints,
  sum(complaints_closed) complaints_closed, sum(transfers) transfers, sum(transfers_a) transfers_a,
  sum(transfers_b) transfers_b, sum(transfers_c) transfers_c, sum(training_hours) training_hours,
  sum(exam_sum) exam_sum, sum(exams) exams, sum(acts) acts, sum(recorded_acts) recorded_acts,
  sum(files_reviewed) files_reviewed, sum(files_passed) files_passed, sum(penalties) penalties,
  sum(penalties_within) penalties_within"""
# An act with a finding naming an officer earns that officer no volume
# credit (the job's CREDITED_VOLUMES).
officer_counts = counts
for c in ["matters", "completed", "inspections", "complaints", "complaints_closed",
          "transfers", "transfers_a", "transfers_b", "transfers_c"]:
    officer_counts = officer_counts.replace(f"sum({c}) {c},", f"sum({c} * (t.t_fid IS NULL)::DOUBLE) {c},")
officers = con.execute(f"""
  SELECT o.officer, {officer_counts} FROM a JOIN (SELECT * FROM read_parquet('{d}/fact_officers.parquet')
         UNION ALL SELECT * FROM read_parquet('{d}/ref_officers.parquet')) o ON a.root = o.fid
  LEFT JOIN (SELECT DISTINCT fid t_fid, officer t_officer FROM read_parquet('{d}/findings.parquet')
             WHERE officer <> '') t ON a.root = t.t_fid AND o.officer = t.t_officer
  GROUP BY o.officer ORDER BY o.officer""").fetchall()
departments = con.execute(f"""
  SELECT body, {counts}, sum(major_decisions) major_decisions, sum(major_reviewed) major_reviewed
  FROM a GROUP BY body ORDER BY body""").fetchall()
print(f"duckdb: {len(officers)} officers, {len(departments)} departments")

# With our officers' table: every count must agree (the same indicators).
if len(sys.argv) > 3:
    import csv
    ours = {r["officer"]: r for r in csv.DictReader(open(sys.argv[3]))}
    cols = [c.split()[-1] for c in counts.split(",")]
    bad = 0
    for row in officers:
        mine = ours.get(row[0])
        for name, value in zip(cols, row[1:]):
            if mine is None or abs(float(mine[name]) - float(value)) > 1e-6:
                bad += 1
    print(f"duckdb vs probity: {bad} differing counts over {len(officers)} officers x {len(cols)} counts")
    sys.exit(1 if bad else 0)
