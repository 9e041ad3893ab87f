"""DuckDB computing the rankings job's counts from the job's input Parquet, as
a DuckDB user would write it: the yardstick of scripts/bench-rankings.sh.

  python3 scripts/rankings_duckdb.py DIR THREADS [OFFICERS_CSV DEPARTMENTS_CSV]

The same attribution as the job (jobs/rankings/src/compute.rs): a fact is
credited through its matter, decision or complaint, of its year or an earlier
one (refs.parquet), to that act's officers, and to its body once; an act with
a finding naming an officer earns that officer no volume credit. One
statement, shaped for DuckDB:
  - the facts are read once (a MATERIALIZED CTE) with a fact's kind and every
    flag packed into one integer `code`, so a join carries only
    (root, code, hours, exam);
  - each referring kind is joined only to the kind it refers to (closings and
    decisions to matters, reviews and case-file reviews to decisions' matters,
    complaint closings to complaints); the other kinds are their own root;
  - counts are grouped by (subject, code) and then pivoted with FILTER: the
    big grouping has a handful of codes per subject, not 21 sums;
  - departments are counted from the same CTE, with no join.
Settings: `threads` (THREADS) and `preserve_insertion_order = false` (the
result is sorted at the end; nothing else needs input order); everything else
is DuckDB's default (memory_limit 80% of RAM, every optimizer on).

With the job's two CSVs (rankings-bench compute --csv --departments-csv),
every count of every officer and assessed unit is compared; exit 1 on any
difference.
"""
import datetime
import sys

import duckdb

d, threads = sys.argv[1], int(sys.argv[2])
con = duckdb.connect()
con.execute(f"SET threads = {threads}")
con.execute("SET preserve_insertion_order = false")

# The year of the first fact (city time, UTC+8), as the job's bench takes it:
# assessment items count in their own year only.
(first,) = con.execute(
    f"SELECT occurred_us FROM read_parquet('{d}/facts.parquet') LIMIT 1").fetchone() or (0,)
year = (datetime.datetime(1970, 1, 1) + datetime.timedelta(microseconds=first, hours=8)).year

# The bits of `code`: kind in 0-3, then one flag a bit, transfer kind at 16.
BITS = {"repeat": 4, "wrongful": 5, "random": 6, "recorded": 7, "penalty": 8, "within": 9,
        "major": 10, "reviewed": 11, "six_ok": 12, "has_exam": 13, "this_year": 14}
TAINTED = 20  # officer level: a finding in force names this officer on the act


def bit(name):
    return f"(code >> {BITS[name]}) & 1 = 1"


def kind(*ks):
    return f"code & 15 IN ({', '.join(map(str, ks))})"


# Each count: (what it sums, when; whether an officer's finding withholds it).
COUNTS = [
    ("matters", "n", kind(1), True),
    ("completed", "n", f"{kind(2)} AND NOT {bit('repeat')}", True),
    ("decisions", "n", kind(3), False),
    ("wrongful", "n", f"{kind(5)} AND {bit('wrongful')} AND NOT {bit('repeat')}", False),
    ("inspections", "n", kind(4), True),
    ("random_inspections", "n", f"{kind(4)} AND {bit('random')}", False),
    ("complaints", "n", kind(6), True),
    ("complaints_closed", "n", f"{kind(7)} AND NOT {bit('repeat')}", True),
    ("transfers", "n", kind(8), True),
    ("transfers_a", "n", f"{kind(8)} AND ((code >> 16) & 15) = 1", True),
    ("transfers_b", "n", f"{kind(8)} AND ((code >> 16) & 15) = 2", True),
    ("transfers_c", "n", f"{kind(8)} AND ((code >> 16) & 15) = 3", True),
    ("training_hours", "hours", kind(9), False),
    ("exam_sum", "exam", f"{kind(9)} AND {bit('has_exam')}", False),
    ("exams", "n", f"{kind(9)} AND {bit('has_exam')}", False),
    ("acts", "n", kind(1, 4), False),
    ("recorded_acts", "n", f"{kind(1, 4)} AND {bit('recorded')}", False),
    ("files_reviewed", "n", kind(10), False),
    ("files_passed", "n", f"{kind(10)} AND {bit('six_ok')}", False),
    ("penalties", "n", f"{kind(3)} AND {bit('penalty')}", False),
    ("penalties_within", "n", f"{kind(3)} AND {bit('penalty')} AND {bit('within')}", False),
]
DEPARTMENT_EXTRA = [
    ("major_decisions", "n", f"{kind(3)} AND {bit('major')}", False),
    ("major_reviewed", "n", f"{kind(3)} AND {bit('major')} AND {bit('reviewed')}", False),
    ("item_score_sum", "item_score", f"{kind(11)} AND {bit('this_year')}", False),
    ("items", "n", f"{kind(11)} AND {bit('this_year')}", False),
]


def pivot(counts, officer):
    out = []
    for name, what, when, withheld in counts:
        if officer and withheld:
            when += f" AND (code >> {TAINTED}) & 1 = 0"
        out.append(f"coalesce(sum({what}) FILTER (WHERE {when}), 0)::DOUBLE AS {name}")
    return ",\n  ".join(out)


packed = " | ".join(
    ["kind"]
    + [f"(({flag})::INTEGER << {BITS[b]})" for b, flag in [
        ("repeat", "repeat"), ("wrongful", "wrongful"), ("random", "random"),
        ("recorded", "records > 0"), ("penalty", "penalty"), ("within", "within"),
        ("major", "major"), ("reviewed", "reviewed"), ("six_ok", "six_ok"),
        ("has_exam", "has_exam"), ("this_year", f"item_year = {year}")]]
    + ["(transfer_kind << 16)"])
refs_of = f"read_parquet('{d}/refs.parquet')"
extras = ", ".join(f"NULL::DOUBLE AS {c[0]}" for c in DEPARTMENT_EXTRA)
query = f"""
WITH f AS MATERIALIZED (
  SELECT fid, body, source_id, ref_source, {packed} AS code, hours, exam, item_score
  FROM read_parquet('{d}/facts.parquet')
),
matters AS (
  SELECT body, source_id, fid AS root FROM f WHERE code & 15 = 1
  UNION ALL SELECT body, source_id, fid FROM {refs_of} WHERE kind = 1
),
complaints AS (
  SELECT body, source_id, fid AS root FROM f WHERE code & 15 = 6
  UNION ALL SELECT body, source_id, fid FROM {refs_of} WHERE kind = 6
),
decisions AS (
  SELECT x.body, x.source_id, m.root
  FROM (SELECT body, source_id, ref_source FROM f WHERE code & 15 = 3
        UNION ALL SELECT body, source_id, ref_source FROM {refs_of} WHERE kind = 3) x
  JOIN matters m ON x.body = m.body AND x.ref_source = m.source_id
),
attributed AS (
  SELECT fid AS root, code, hours, exam FROM f WHERE code & 15 IN (1, 4, 6, 8, 9)
  UNION ALL SELECT m.root, f.code, 0, 0 FROM f JOIN matters m
    ON f.body = m.body AND f.ref_source = m.source_id WHERE f.code & 15 IN (2, 3)
  UNION ALL SELECT x.root, f.code, 0, 0 FROM f JOIN decisions x
    ON f.body = x.body AND f.ref_source = x.source_id WHERE f.code & 15 IN (5, 10)
  UNION ALL SELECT c.root, f.code, 0, 0 FROM f JOIN complaints c
    ON f.body = c.body AND f.ref_source = c.source_id WHERE f.code & 15 = 7
),
officers_of AS (
  SELECT fid, officer FROM read_parquet('{d}/fact_officers.parquet')
  UNION ALL SELECT fid, officer FROM read_parquet('{d}/ref_officers.parquet')
),
named AS (
  SELECT DISTINCT fid, officer FROM read_parquet('{d}/findings.parquet') WHERE officer <> ''
),
by_officer AS (
  SELECT o.officer AS subject,
         a.code | CASE WHEN t.fid IS NULL THEN 0 ELSE {1 << TAINTED} END AS code,
         count(*) AS n, sum(a.hours) AS hours, sum(a.exam) AS exam
  FROM attributed a JOIN officers_of o ON a.root = o.fid
  LEFT JOIN named t ON t.fid = a.root AND t.officer = o.officer
  GROUP BY ALL
),
by_body AS (
  SELECT body AS subject, code, count(*) AS n, sum(hours) AS hours, sum(exam) AS exam,
         sum(item_score) AS item_score
  FROM f GROUP BY ALL
)
SELECT 'officer' AS level, subject,
  {pivot(COUNTS, True)},
  {extras}
FROM by_officer GROUP BY subject
UNION ALL
SELECT 'department', subject,
  {pivot(COUNTS + DEPARTMENT_EXTRA, False)}
FROM by_body GROUP BY subject
ORDER BY level, subject
"""
rows = con.execute(query).fetchall()
cols = [c[0] for c in COUNTS + DEPARTMENT_EXTRA]
officers = {r[1]: r[2:2 + len(COUNTS)] for r in rows if r[0] == "officer"}
departments = {r[1]: r[2:] for r in rows if r[0] == "department"}
print(f"duckdb: {len(officers)} officers, {len(departments)} bodies")

# With the job's tables: every count must agree (the same indicators). An
# officer or unit one side has and the other not counts as all zeros there;
# DuckDB's bodies that the office does not assess (the city government) are
# left out, as the job leaves them.
if len(sys.argv) > 4:
    import csv

    def compare(path, key, theirs, names, only_ours):
        ours = {r[key]: r for r in csv.DictReader(open(path))}
        keys = set(ours) | (set() if only_ours else set(theirs))
        bad = 0
        for k in sorted(keys):
            mine, value = ours.get(k), theirs.get(k)
            for i, name in enumerate(names):
                a = float(mine[name]) if mine else 0.0
                b = float(value[i]) if value else 0.0
                if abs(a - b) > 1e-6:
                    bad += 1
                    if bad <= 10:
                        print(f"  {k} {name}: probity {a}, duckdb {b}")
        return bad, len(keys)

    bad_o, n_o = compare(sys.argv[3], "officer", officers, cols[:len(COUNTS)], False)
    bad_d, n_d = compare(sys.argv[4], "body", departments, cols, True)
    print(f"duckdb vs probity: {bad_o} differing counts over {n_o} officers x {len(COUNTS)} counts, "
          f"{bad_d} over {n_d} assessed units x {len(cols)} counts")
    sys.exit(1 if bad_o or bad_d else 0)
