"""Benchmark: the console's CSV exports over 1,000,000 members and 10,000,000 sales on
PostgreSQL (bench/big_data.py's database, on your own copy; --reuse keeps it), streamed
as the download is (loyalty.exports.csv_chunks, EXPORT_BATCH_ROWS rows a batch over a
server-side cursor), the bytes thrown away. Reads only.

One line per export: rows, megabytes, rows a second, how much the process's peak memory
(ru_maxrss) grew while it ran, seconds. The exports: November 2026's sales (530,000
rows) and every member (995,000 not erased); big_data's ledger entries and coupons are all
made on one day each (2 and 3 million), the same code path. The
baseline, in the same run and last (the peak only grows): November's sales SELECT read
whole into memory (`.all()`), as an export without streaming would, and its peak growth.
(Every one of the 10,000,000 sales took over 25 minutes on this shared 2-core machine;
the month shows the rate and that the memory stays flat.)

    python -m bench.exports --database-url postgresql://postgres@127.0.0.1:5432/youka_bench_<name> --reuse
"""
from __future__ import annotations

import argparse
import resource
import time
from datetime import date

from bench import big_data

MONTH = (date(2026, 11, 1), date(2026, 11, 30))
EXPORTS = [("sales", *MONTH),
           ("members", date(2020, 1, 1), date(2026, 12, 31))]   # every member


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=big_data.DEFAULT_URL)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--sales", type=int, default=10_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep an already made database of this size")
    parser.add_argument("--batch", type=int, default=2000)
    args = parser.parse_args()
    app = big_data.ensure(args.database_url, args.members, args.sales, reuse=args.reuse)

    from extensions import db
    from loyalty import exports
    from loyalty.exports.columns import EXPORTS as SPECS
    with app.app_context():
        for kind, start, end in EXPORTS:
            filters = exports.parse_filters(kind, {"from": start.isoformat(), "to": end.isoformat()})
            before, started, rows, size = peak_mb(), time.perf_counter(), -1, 0
            for chunk in exports.csv_chunks(filters, batch=args.batch):
                rows += chunk.count(b"\r\n")  # fields hold no line breaks here
                size += len(chunk)
            seconds = time.perf_counter() - started
            print(f"{kind} export streamed ({start} to {end}): {rows} rows, {size / 1e6:.0f} MB, "
                  f"{rows / seconds:,.0f} rows/s, peak memory +{peak_mb() - before:.0f} MB, {seconds:.1f} s", flush=True)
        filters = exports.parse_filters("sales", {"from": MONTH[0].isoformat(), "to": MONTH[1].isoformat()})
        before, started = peak_mb(), time.perf_counter()
        held = db.session.execute(SPECS["sales"].query(filters)).all()
        seconds = time.perf_counter() - started
        print(f"baseline (the same sales read whole into memory, {len(held)} rows): "
              f"peak memory +{peak_mb() - before:.0f} MB, {seconds:.1f} s", flush=True)
        db.session.rollback()
        db.engine.dispose()


if __name__ == "__main__":
    main()
