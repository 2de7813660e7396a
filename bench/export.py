#!/usr/bin/env python3
"""Chancery's export benchmark: see bench/README.md, "The export benchmark".

Seeds SCALE facts (or reuses the database with BENCH_REUSE=1), starts the server, downloads
/export/facts.ndjson (plain and gzip) and /export/facts.csv once each, counts the records, and
prints facts/s and the server's peak RSS (VmHWM) after each download. Standard library only; it
borrows the read benchmark's server, seeding and psql helpers (bench/bench.py).
"""
import gzip
import os
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (the read benchmark: SCALE, Server, prepare_database, psql)

EXPORTS = [
    ("NDJSON", "/export/facts.ndjson", {}),
    ("NDJSON, gzip", "/export/facts.ndjson", {"accept-encoding": "gzip"}),
    ("CSV", "/export/facts.csv", {}),
]
CHUNK = 1 << 16


def download(port, path, headers):
    """Streams one export: (records, bytes on the wire, seconds)."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
    started = time.time()
    records = wire = 0
    with urllib.request.urlopen(request, timeout=3600) as response:
        stream = gzip.GzipFile(fileobj=response) if response.headers.get("content-encoding") == "gzip" else response
        counted = response if stream is response else None
        while True:
            chunk = stream.read(CHUNK)
            if not chunk:
                break
            records += chunk.count(b"\n")
            if counted is not None:
                wire += len(chunk)
        if counted is None:
            wire = -1
    return records, wire, time.time() - started


def public_facts(backend, work):
    rows = bench.sql_rows(backend, work, "SELECT count(*) FROM facts WHERE status IN "
                                         "('PUBLISHED', 'RETRACTED', 'SUPERSEDED')")
    return int(rows[0][0])


def main():
    backends = os.environ.get("BACKENDS", "postgres").split()
    work = os.environ.get("BENCH_WORK") or tempfile.mkdtemp(prefix="chancery-export-bench-")
    report = [f"Export of {bench.SCALE:,} seeded facts ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores "
              "shared by the server, the database and the client)", "",
              "| backend | export | records | MB sent | seconds | facts/s | server peak RSS after |",
              "|---|---|---|---|---|---|---|"]
    for backend in backends:
        if os.environ.get("BENCH_REUSE") == "1" and backend == "postgres":
            url = f"{bench.PG_URL}/{bench.PG_DB}"
            bench.log(f"reusing {url}")
        else:
            url, seconds, line = bench.prepare_database(backend, work)
            bench.log(f"{backend}: {line} in {seconds:.0f} s")
        expected = public_facts(backend, work)
        server = bench.Server(url, os.path.join(work, f"server-export-{backend}.log"))
        try:
            bench.log(f"{backend}: server up, peak RSS {server.peak_rss_mb():.0f} MiB before any export")
            for name, path, headers in EXPORTS:
                records, wire, seconds = download(server.port, path, headers)
                if name == "CSV":
                    records -= 1  # the header
                if records != expected:
                    raise RuntimeError(f"{backend} {name}: {records} records, the record has {expected} public facts")
                sent = f"{wire / 1e6:.0f}" if wire >= 0 else "(gzip)"
                rate = records / seconds if seconds else float("nan")
                rss = server.peak_rss_mb()
                bench.log(f"{backend} {name}: {records} in {seconds:.1f} s, {rate:,.0f} facts/s, peak RSS {rss:.0f} MiB")
                report.append(f"| {backend} | {name} | {records:,} | {sent} | {seconds:.1f} | {rate:,.0f} | {rss:.0f} MiB |")
        finally:
            server.stop()
    text = "\n".join(report)
    print()
    print(text, flush=True)
    os.makedirs(bench.OUT, exist_ok=True)
    path = os.path.join(bench.OUT, f"export-{bench.SCALE}.md")
    with open(path, "w") as f:
        f.write(text + "\n")
    bench.log(f"written to {path}")


if __name__ == "__main__":
    main()
