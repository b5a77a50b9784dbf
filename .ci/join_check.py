"""Two fracture runs' tables, as a user combines them: concatenated and joined in polars, pandas and
DuckDB without a cast, a lab's rows meeting its own rows and never another lab's.

Usage: python .ci/join_check.py RUN_A RUN_B   (two result folders of `fracture run`: RUN_B's world has a
population RUN_A lacks, `aa-extra`, and fewer `ke-academic` labs; see .ci/join-check)
"""

import sys
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow.parquet as pq

KEY = ["population", "member", "t"]
# Labs in both runs, by key: a lab of its own (member 0) and two members of a population.
LABS = [("openai", 0), ("ke-academic", 3), ("ke-academic", 5)]
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def main(a, b):
    a, b = Path(a), Path(b)

    # The file layout: plain strings (dictionary-encoded pages), `member` delta-encoded.
    meta = pq.ParquetFile(a / "labs.parquet")
    schema = meta.schema_arrow
    for name in ["month", "population", "nation", "kind", "main_provider"]:
        typ = schema.field(name).type
        check(typ in ("string", "large_string", "string_view"), f"labs.{name} is {typ} in pyarrow")
    columns = meta.metadata.row_group(0)
    encodings = {
        columns.column(i).path_in_schema: set(columns.column(i).encodings)
        for i in range(columns.num_columns)
    }
    check("DELTA_BINARY_PACKED" in encodings["member"], f"member: {sorted(encodings['member'])}")
    check(
        any("DICTIONARY" in e for e in encodings["population"]),
        f"population: {sorted(encodings['population'])}",
    )

    # polars: concatenated without a cast, joined on the key.
    for table in ["global", "nations", "labs", "lab_ids", "providers", "fabs", "usage", "events"]:
        x, y = pl.read_parquet(a / f"{table}.parquet"), pl.read_parquet(b / f"{table}.parquet")
        both = pl.concat([x, y])
        check(both.height == x.height + y.height, f"polars: {table} of both runs concatenate")
    la, lb = pl.read_parquet(a / "labs.parquet"), pl.read_parquet(b / "labs.parquet")
    check(la.schema["population"] == pl.String, f"polars: population is {la.schema['population']}")
    joined = la.join(lb, on=KEY, suffix="_b")
    common = pl.read_parquet(a / "lab_ids.parquet").join(
        pl.read_parquet(b / "lab_ids.parquet"), on=["population", "member"]
    )
    months = la["t"].n_unique()
    check(joined.height == common.height * months, "polars: the join pairs every common lab-month")
    check((joined["nation"] == joined["nation_b"]).all(), "polars: joined labs agree on nation")
    check(joined.filter(pl.col("population") == "aa-extra").height == 0, "polars: no lab met another")
    for population, member in LABS:
        own = lambda labs: labs.filter(
            (pl.col("population") == population) & (pl.col("member") == member)
        ).sort("t")
        rows = own(joined)
        check(
            rows["budget_busd"].to_list() == own(la)["budget_busd"].to_list()
            and rows["budget_busd_b"].to_list() == own(lb)["budget_busd"].to_list()
            and rows.height == months,
            f"polars: {population} {member} meets its own rows",
        )

    # pandas (pyarrow): the same.
    pa_, pb_ = pd.read_parquet(a / "labs.parquet"), pd.read_parquet(b / "labs.parquet")
    check(
        not isinstance(pa_["population"].dtype, pd.CategoricalDtype),
        f"pandas: population is {pa_['population'].dtype}",
    )
    both = pd.concat([pa_, pb_], ignore_index=True)
    check(
        len(both) == len(pa_) + len(pb_) and both["population"].dtype == pa_["population"].dtype,
        "pandas: the labs of both runs concatenate, keeping the type",
    )
    merged = pa_.merge(pb_, on=KEY, suffixes=("", "_b"))
    check(len(merged) == joined.height, "pandas: the merge pairs what polars' join does")
    for population, member in LABS:
        rows = merged[(merged.population == population) & (merged.member == member)].sort_values("t")
        own = pb_[(pb_.population == population) & (pb_.member == member)].sort_values("t")
        check(
            rows["budget_busd_b"].tolist() == own["budget_busd"].tolist(),
            f"pandas: {population} {member} meets its own rows",
        )
    na, nb = pd.read_parquet(a / "nations.parquet"), pd.read_parquet(b / "nations.parquet")
    check(len(pd.concat([na, nb])) == len(na) + len(nb), "pandas: nations concatenate")

    # DuckDB: a union of both runs' files and a join.
    con = duckdb.connect()
    fa, fb = str(a / "labs.parquet"), str(b / "labs.parquet")
    (rows,) = con.execute(f"SELECT count(*) FROM read_parquet(['{fa}', '{fb}'])").fetchone()
    check(rows == la.height + lb.height, "duckdb: the labs of both runs read as one table")
    (rows,) = con.execute(
        f"SELECT count(*) FROM read_parquet('{fa}') x JOIN read_parquet('{fb}') y USING ({', '.join(KEY)})"
    ).fetchone()
    check(rows == joined.height, "duckdb: the join pairs what polars' join does")
    (mismatched,) = con.execute(
        f"""SELECT count(*) FROM read_parquet('{fa}') x JOIN read_parquet('{fb}') y USING ({', '.join(KEY)})
            WHERE x.nation <> y.nation OR x.kind <> y.kind"""
    ).fetchone()
    check(mismatched == 0, "duckdb: joined labs agree on nation and kind")
    na, nb = str(a / "nations.parquet"), str(b / "nations.parquet")
    (rows,) = con.execute(
        f"SELECT count(*) FROM (SELECT * FROM '{na}' UNION ALL BY NAME SELECT * FROM '{nb}')"
    ).fetchone()
    check(rows == 2 * pl.read_parquet(na).height, "duckdb: nations of both runs union")

    if failures:
        print(f"join-check: {len(failures)} failed", file=sys.stderr)
        sys.exit(1)
    print("join-check: the runs' tables concatenate and join in polars, pandas and DuckDB")


if __name__ == "__main__":
    main(*sys.argv[1:3])
