#!/usr/bin/env python3
"""Chancery's read benchmark (see README.md beside this file); run it through run.sh.

For each backend: a fresh database seeded with SCALE facts, the server, the five queries driven
with wrk, the SQL each query runs captured and replayed without the server (pgbench on Postgres,
a loop over Python's sqlite3 on SQLite), and a Markdown table. Standard library only. Nothing
here judges the numbers: the script fails only when something does not work.
"""
import base64
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BIN = os.environ.get("CHANCERY_BIN", os.path.join(ROOT, "target", "release", "chancery"))
SCALE = int(os.environ.get("SCALE", "10000"))
DURATION = int(os.environ.get("DURATION", "10"))
WARMUP = int(os.environ.get("WARMUP", "1"))
BACKENDS = os.environ.get("BACKENDS", "postgres sqlite").split()
PG_URL = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432").rstrip("/")
PG_DB = f"chancery_bench_{SCALE}"
PGBENCH = os.environ.get("PGBENCH", "pgbench")
PSQL = os.environ.get("PSQL", "psql")
CONNECTIONS = 16
SQLITE_THREADS = 16
OUT = os.environ.get("BENCH_OUT", os.path.join(ROOT, "target", "bench"))

RUSSIA = "0194f774-9400-749f-8f14-88c48e09203d"  # the demo's actors: the same ids everywhere
SYRIA = "0194f774-9400-70c3-a4a9-611dc00df7a7"
PUBLIC = ("PUBLISHED", "RETRACTED", "SUPERSEDED")
QUERIES = ["Q1", "Q2", "Q3", "Q4", "Q5"]
FACT_FIELDS = ("id summary kind { key label } occurred { date precision } participants { role actor { name } } "
               "citations { quote source { url outlet { name } } }")
ORDER = "orderBy: {field: OCCURRED_AT, direction: DESC}"


def log(message):
    print(f"bench: {message}", flush=True)


def gid(kind, uuid):
    """A global id as the API writes it: base64url, no padding, of `Kind:uuid`."""
    return base64.urlsafe_b64encode(f"{kind}:{uuid}".encode()).decode().rstrip("=")


def query_text(q, cursor=None, fact=None):
    page = "pageInfo { hasNextPage endCursor }"
    if q == "Q1":
        return f"{{ facts(first: 20, {ORDER}) {{ {page} nodes {{ {FACT_FIELDS} }} }} }}"
    if q == "Q2":
        return f'{{ facts(first: 20, after: "{cursor}", {ORDER}) {{ {page} nodes {{ {FACT_FIELDS} }} }} }}'
    if q == "Q3":
        both = f'["{gid("Actor", RUSSIA)}", "{gid("Actor", SYRIA)}"]'
        return f"{{ facts(first: 20, {ORDER}, filter: {{ allOf: {both} }}) {{ {page} nodes {{ {FACT_FIELDS} }} }} }}"
    if q == "Q4":
        return f'{{ facts(first: 20, {ORDER}, filter: {{ search: "naval" }}) {{ {page} nodes {{ {FACT_FIELDS} }} }} }}'
    if q == "Q5":
        return (f'{{ node(id: "{gid("Fact", fact)}") {{ ... on Fact {{ id summary '
                "citations { quote source { url outlet { name } } } } } }")
    raise ValueError(q)


# --- processes and HTTP ---------------------------------------------------------------------------

def run(args, **kwargs):
    result = subprocess.run(args, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])} … failed ({result.returncode}):\n{result.stdout[-3000:]}\n"
                           f"{result.stderr[-3000:]}")
    return result.stdout


def psql(sql, db="postgres"):
    host, port, user = pg_parts()
    return run([PSQL, "-h", host, "-p", port, "-U", user, "-d", db, "-X", "-At", "-v", "ON_ERROR_STOP=1",
                "-c", sql]).strip()


def pg_parts():
    parsed = urllib.parse.urlparse(PG_URL)
    return parsed.hostname or "127.0.0.1", str(parsed.port or 5432), parsed.username or "postgres"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(port, body, timeout=60):
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", body.encode(),
                                     {"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def statements_total(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        for line in response.read().decode().splitlines():
            if line.startswith("chancery_db_statements_total "):
                return int(float(line.split()[1]))
    raise RuntimeError("/metrics has no chancery_db_statements_total")


class Server:
    """`chancery serve` on a free port, limits lifted for a load test from one address."""

    def __init__(self, url, log_path, trace_sql=False):
        self.port = free_port()
        self.log_path = log_path
        args = [BIN, "--database-url", url, "--db-max-connections", "20"]
        if trace_sql:
            args += ["--log-level", "info,chancery::sql=trace", "--log-format", "json"]
        args += ["serve", "--rate-limit-per-minute", "0", "--bind", f"127.0.0.1:{self.port}"]
        env = dict(os.environ, CHANCERY_JWT_SECRET=secrets.token_hex(32), NO_COLOR="1")
        env.pop("DATABASE_URL", None)
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited ({self.proc.returncode}):\n{self.tail()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"the server was not ready within 120 s:\n{self.tail()}")

    def tail(self):
        self.log.flush()
        with open(self.log_path, errors="replace") as f:
            return "".join(f.readlines()[-30:])

    def peak_rss_mb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# --- the database -----------------------------------------------------------------------------------

def prepare_database(backend, work):
    """A fresh database for SCALE facts, migrated and seeded: (url, seconds the seed took, its line)."""
    if backend == "postgres":
        psql(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
        psql(f'CREATE DATABASE "{PG_DB}"')
        url = f"{PG_URL}/{PG_DB}"
    else:
        path = os.path.join(work, "bench.db")
        for suffix in ("", "-wal", "-shm", ".jwt-secret"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        url = f"sqlite://{path}"
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    run([BIN, "--database-url", url, "migrate", "up"], env=env)
    started = time.time()
    out = run([BIN, "--database-url", url, "seed", "--facts", str(SCALE)], env=env)
    seconds = time.time() - started
    final = [line for line in out.splitlines() if line.startswith("seeded ")]
    if not final:
        raise RuntimeError(f"`chancery seed` printed no final count line:\n{out[-2000:]}")
    if backend == "postgres":
        # What autovacuum would do in a while, done now: statistics, and a visibility map.
        psql("VACUUM ANALYZE", db=PG_DB)
    return url, seconds, final[-1]


def sql_rows(backend, work, sql):
    if backend == "postgres":
        return [line.split("|") for line in psql(sql, db=PG_DB).splitlines() if line]
    with sqlite3.connect(os.path.join(work, "bench.db")) as db:
        return [list(map(str, row)) for row in db.execute(sql).fetchall()]


def query_parameters(backend, work):
    """The Q2 cursor (page 500, or the last full page of a smaller record) and the Q5 fact."""
    public = ", ".join(f"'{s}'" for s in PUBLIC)
    count = int(sql_rows(backend, work, f"SELECT count(*) FROM facts WHERE status IN ({public})")[0][0])
    page = min(500, count // 20)
    if page < 2:
        raise RuntimeError(f"only {count} public facts: SCALE is too small for Q2")
    uuid = "id" if backend == "postgres" else "lower(hex(id))"
    row = sql_rows(backend, work, f"SELECT occurred_on, {uuid} FROM facts WHERE status IN ({public}) "
                                  f"ORDER BY occurred_on DESC, id DESC LIMIT 1 OFFSET {(page - 1) * 20 - 1}")[0]
    fact_uuid = row[1] if "-" in row[1] else "-".join((row[1][:8], row[1][8:12], row[1][12:16], row[1][16:20], row[1][20:]))
    cursor = base64.urlsafe_b64encode(f"fact-occurred|{row[0]}|{fact_uuid}".encode()).decode().rstrip("=")
    three = sql_rows(backend, work, f"SELECT {uuid} FROM facts f WHERE status = 'PUBLISHED' AND "
                                    "(SELECT count(*) FROM citations c WHERE c.fact_id = f.id AND c.status = 'ACTIVE') = 3 "
                                    "ORDER BY occurred_on DESC, id DESC LIMIT 1")[0][0]
    if "-" not in three:
        three = "-".join((three[:8], three[8:12], three[12:16], three[16:20], three[20:]))
    return {"page": page, "cursor": cursor, "fact": three, "public": count}


# --- capturing the SQL ---------------------------------------------------------------------------

def postgres_log_file():
    """Where this Postgres server writes its log (it must be readable by this user)."""
    if os.environ.get("BENCH_PG_LOG"):
        return os.environ["BENCH_PG_LOG"]
    current = psql("SELECT pg_current_logfile()")
    if current:
        return current if current.startswith("/") else os.path.join(psql("SHOW data_directory"), current)
    port = pg_parts()[1]
    try:
        for line in run(["pg_lsclusters", "--no-header"]).splitlines():
            fields = line.split()
            if len(fields) >= 7 and fields[2] == port:
                return fields[6]
    except (OSError, RuntimeError):
        pass
    candidates = sorted((p for p in os.listdir("/var/log/postgresql") if p.endswith(".log")),
                        key=lambda p: os.path.getmtime(os.path.join("/var/log/postgresql", p)))
    if candidates:
        return os.path.join("/var/log/postgresql", candidates[-1])
    raise RuntimeError("cannot tell where Postgres logs (set BENCH_PG_LOG)")


EXECUTE = re.compile(r"\[(\d+)\] (?:\S*@(\S+) )?LOG:\s+(?:duration: [\d.]+ ms\s+)?execute [^:]*: (.*)$")
DETAIL = re.compile(r"\[(\d+)\] (?:\S*@(\S+) )?DETAIL:\s+parameters: (.*)$")
PARAM = re.compile(r"\$(\d+) = ('(?:[^']|'')*'|NULL)")


def read_postgres_log(path, offset):
    """[(sql with $n, {n: value or None})] that PG_DB executed since `offset`, in order."""
    with open(path, "rb") as f:
        f.seek(offset)
        lines = f.read().decode(errors="replace").splitlines()
    statements, waiting, last = [], {}, None
    for line in lines:
        if line.startswith("\t") and last is not None:
            last[0] += "\n" + line[1:]
            continue
        last = None
        m = EXECUTE.search(line)
        if m and m.group(2) in (None, PG_DB):
            last = [m.group(3), {}]
            statements.append(last)
            waiting[m.group(1)] = last
            continue
        m = DETAIL.search(line)
        if m and m.group(2) in (None, PG_DB) and m.group(1) in waiting:
            waiting.pop(m.group(1))[1] = {
                int(n): None if v == "NULL" else v[1:-1].replace("''", "'") for n, v in PARAM.findall(m.group(3))
            }
    return [(sql, params) for sql, params in statements]


def read_sqlite_log(path, offset):
    """The SQL the server logged at trace level (`chancery::sql`) since `offset`; values are not
    logged, only the text with its `?` placeholders."""
    found = []
    with open(path, "rb") as f:
        f.seek(offset)
        for line in f.read().decode(errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            fields = entry.get("fields", entry)
            if entry.get("target") == "chancery::sql" and "sql" in fields:
                found.append(fields["sql"])
    return found


def capture(backend, url, bodies, work):
    """Per query: the statements one request issues (from the metric), and the SQL itself."""
    result = {}
    log_path = os.path.join(work, f"capture-{backend}.log")
    if backend == "postgres":
        pg_log = postgres_log_file()
        if not os.access(pg_log, os.R_OK):
            raise RuntimeError(f"the Postgres log {pg_log} is not readable by this user (run as root or set BENCH_PG_LOG)")
        # Only this database's sessions log their statements, and only while capturing.
        psql(f'ALTER DATABASE "{PG_DB}" SET log_statement = \'all\'')
        psql(f'ALTER DATABASE "{PG_DB}" SET log_parameter_max_length = -1')
    server = Server(url, log_path, trace_sql=backend == "sqlite")
    try:
        for q in QUERIES:
            body = bodies[q]
            warm = post(server.port, body)  # prepares the statements on a connection
            if "errors" in warm:
                raise RuntimeError(f"{q} answered errors: {json.dumps(warm)[:1000]}")
            before = statements_total(server.port)
            offset = os.path.getsize(pg_log if backend == "postgres" else log_path)
            answer = post(server.port, body)
            after = statements_total(server.port)
            time.sleep(0.5)  # the log is written asynchronously
            if backend == "postgres":
                statements = read_postgres_log(pg_log, offset)
            else:
                server.log.flush()
                statements = read_sqlite_log(log_path, offset)
            result[q] = {"statements": after - before, "sql": statements, "answer": answer}
            if len(statements) != after - before:
                log(f"{backend} {q}: the metric counts {after - before} statements, the log shows {len(statements)}")
    finally:
        server.stop()
        if backend == "postgres":
            psql(f'ALTER DATABASE "{PG_DB}" RESET log_statement')
            psql(f'ALTER DATABASE "{PG_DB}" RESET log_parameter_max_length')
    return result


# --- load ------------------------------------------------------------------------------------------

def wrk(port, body_file, seconds):
    out = run(["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "30s", "--latency",
               "-s", os.path.join(HERE, "post.lua"), f"http://127.0.0.1:{port}/graphql"],
              env=dict(os.environ, BODY_FILE=body_file), timeout=seconds + 120)
    for line in out.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise RuntimeError(f"wrk printed no RESULT line:\n{out}")


def pgbench_script(statements, path):
    """The statements as a pgbench script, their values as variables: in -M prepared mode they are
    bound as parameters, as the server binds them."""
    lines, defines = [], []
    for i, (sql, params) in enumerate(statements, 1):
        def variable(match):
            n = int(match.group(1))
            if params.get(n) is None:
                return "NULL"
            defines.extend(["-D", f"s{i}_{n}={params[n]}"])
            return f":s{i}_{n}"
        lines.append(re.sub(r"\$(\d+)", variable, sql) + ";")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return defines


def pgbench(script, defines, seconds):
    host, port, user = pg_parts()
    out = run([PGBENCH, "-n", "-M", "prepared", "-c", str(CONNECTIONS), "-j", "2", "-T", str(seconds),
               "-h", host, "-p", port, "-U", user, "-f", script, *defines, PG_DB], timeout=seconds + 120)
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
    failed = re.search(r"number of failed transactions: (\d+)", out)
    if not tps:
        raise RuntimeError(f"pgbench printed no rate:\n{out}")
    if failed and int(failed.group(1)) > 0:
        raise RuntimeError(f"pgbench: {failed.group(1)} transactions failed:\n{out}")
    return float(tps.group(1))


# --- SQLite: values for the logged statements, and the replay -------------------------------------

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
PG_TIMESTAMP = re.compile(r"^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(\.\d+)?\+00$")


def sqlite_value(text, match_argument):
    """A value Postgres logged, as the server binds it on SQLite (UUIDs are blobs there)."""
    if text is None:
        return None
    if match_argument:
        # Postgres gets `a & b` for to_tsquery, SQLite's FTS5 `"a" "b"` (see db::search).
        return " ".join(f'"{term.strip()}"' for term in text.split("&"))
    if UUID.match(text):
        return bytes.fromhex(text.replace("-", ""))
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if text in ("t", "f"):
        return 1 if text == "t" else 0
    m = PG_TIMESTAMP.match(text)
    if m:
        return f"{m.group(1)}T{m.group(2)}{m.group(3) or ''}+00:00"
    return text


def sqlite_statements(sqlite_sql, postgres_statements):
    """Values for each SQLite statement, taken from the same statement of the Postgres capture: its
    bound values and the ids and search terms it writes inline, in the order they appear. None when they cannot
    be matched (then the SQLite replay is not run)."""
    if postgres_statements is None or len(sqlite_sql) != len(postgres_statements):
        return None
    result = []
    for sql, (pg_sql, params) in zip(sqlite_sql, postgres_statements):
        # Bound values, ids written inline, and search terms written inline (db::search).
        values = [params.get(int(m.group(1))) if m.group(1)
                  else m.group(2) if m.group(2)
                  else m.group(3).replace("''", "'")
                  for m in re.finditer(r"\$(\d+)|'([0-9a-f-]{36})'::uuid|to_tsquery\('english', '((?:[^']|'')*)'\)",
                                       pg_sql)]
        pieces = sql.split("?")
        if len(values) != len(pieces) - 1:
            return None
        bound = [sqlite_value(v, pieces[n].rstrip().upper().endswith("MATCH")) for n, v in enumerate(values)]
        result.append((sql, bound))
    return result


def count_rows_postgres(statements):
    counts = []
    for sql, params in statements:
        inlined = re.sub(r"\$(\d+)", lambda m: "NULL" if params.get(int(m.group(1))) is None
                         else "'" + params[int(m.group(1))].replace("'", "''") + "'", sql)
        counts.append(int(psql(f"SELECT count(*) FROM ({inlined}) q", db=PG_DB)))
    return counts


def sqlite_replay(path, statements, seconds):
    """Runs the statements in a loop on SQLITE_THREADS threads (a connection each) for `seconds`:
    (loops per second, rows each statement returned)."""
    with sqlite3.connect(path) as db:
        counts = [len(db.execute(sql, params).fetchall()) for sql, params in statements]
    loops = [0] * SQLITE_THREADS
    stop = time.time() + seconds

    def worker(k):
        db = sqlite3.connect(path, check_same_thread=False)
        try:
            while time.time() < stop:
                for sql, params in statements:
                    db.execute(sql, params).fetchall()
                loops[k] += 1
        finally:
            db.close()

    started = time.time()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(SQLITE_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(loops) / (time.time() - started), counts


# --- one backend -----------------------------------------------------------------------------------

def bench_backend(backend, work, postgres_capture):
    log(f"{backend}: seeding {SCALE} facts")
    url, seed_seconds, seed_line = prepare_database(backend, work)
    log(f"{backend}: {seed_line} (wall {seed_seconds:.1f} s)")
    params = query_parameters(backend, work)
    bodies, body_files = {}, {}
    for q in QUERIES:
        bodies[q] = json.dumps({"query": query_text(q, cursor=params["cursor"], fact=params["fact"])})
        body_files[q] = os.path.join(work, f"{backend}-{q}.json")
        with open(body_files[q], "w") as f:
            f.write(bodies[q])
    log(f"{backend}: Q2 reads page {params['page']} of {params['public']} public facts; Q5 reads fact {params['fact']}")

    captured = capture(backend, url, bodies, work)
    for q in QUERIES:
        answer = captured[q]["answer"]["data"]
        rows = 1 if q == "Q5" else len(answer["facts"]["nodes"])
        if q == "Q5" and len(answer["node"]["citations"]) != 3:
            raise RuntimeError(f"Q5's fact has {len(answer['node']['citations'])} citations, not 3")
        if rows == 0:
            raise RuntimeError(f"{backend} {q} found nothing: {json.dumps(answer)[:500]}")

    rows = {}
    server = Server(url, os.path.join(work, f"load-{backend}.log"))
    try:
        for q in QUERIES:
            wrk(server.port, body_files[q], WARMUP)
            result = wrk(server.port, body_files[q], DURATION)
            check = post(server.port, bodies[q])
            if "errors" in check:
                raise RuntimeError(f"{backend} {q} answered errors after the load: {json.dumps(check)[:500]}")
            rows[q] = {"http": result, "statements": captured[q]["statements"]}
            log(f"{backend} {q}: {result['ok_rps']:.0f} req/s, p50 {result['p50_ms']:.2f} ms, "
                f"p99 {result['p99_ms']:.2f} ms, {result['non_2xx']} non-2xx, {result['graphql_errors']} GraphQL errors")
        rss = server.peak_rss_mb()
    finally:
        server.stop()

    notes = []
    if backend == "postgres":
        for q in QUERIES:
            statements = captured[q]["sql"]
            script = os.path.join(work, f"pgbench-{q}.sql")
            defines = pgbench_script(statements, script)
            pgbench(script, defines, WARMUP)
            rows[q]["raw"] = pgbench(script, defines, DURATION)
            rows[q]["raw_rows"] = count_rows_postgres(statements)
            log(f"postgres {q}: pgbench {rows[q]['raw']:.0f} tps over {len(statements)} statements")
    else:
        for q in QUERIES:
            statements = sqlite_statements(captured[q]["sql"], (postgres_capture or {}).get(q))
            if statements is None:
                rows[q]["raw"] = None
                notes.append(f"{q}: the SQLite statements could not be given values (the server does not log "
                             "them; they are taken from the Postgres run, which is missing or differs)")
                continue
            rate, counts = sqlite_replay(os.path.join(work, "bench.db"), statements, DURATION)
            rows[q]["raw"] = rate
            expected = (postgres_capture or {}).get(f"{q}_rows")
            if expected is not None and expected != counts:
                notes.append(f"{q}: the SQLite replay returned {counts} rows per statement, Postgres {expected}")
            log(f"sqlite {q}: replay {rate:.0f} loops/s over {len(statements)} statements")
    return {"rows": rows, "rss_mb": rss, "seed_seconds": seed_seconds, "seed_line": seed_line,
            "captured": captured, "notes": notes, "params": params}


def table(results):
    lines = [
        "| backend | query | req/s | p50 ms | p99 ms | statements/request | raw-SQL rate | req/s ÷ raw-SQL rate |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for backend, result in results.items():
        for q in QUERIES:
            row = result["rows"][q]
            http, raw = row["http"], row.get("raw")
            raw_text = "n/a" if raw is None else f"{raw:.0f}"
            ratio = "n/a" if not raw else f"{http['ok_rps'] / raw:.2f}"
            lines.append(f"| {backend} | {q} | {http['ok_rps']:.0f} | {http['p50_ms']:.2f} | {http['p99_ms']:.2f} | "
                         f"{row['statements']} | {raw_text} | {ratio} |")
    return "\n".join(lines)


def main():
    for tool in ("wrk", PGBENCH, PSQL):
        if shutil.which(tool) is None and ("postgres" in BACKENDS or tool == "wrk"):
            raise SystemExit(f"bench: {tool} is not installed (run.sh installs it)")
    if not os.access(BIN, os.X_OK):
        raise SystemExit(f"bench: no binary at {BIN} (run.sh builds it)")
    work = os.environ.get("BENCH_WORK") or tempfile.mkdtemp(prefix="chancery-bench-")
    os.makedirs(work, exist_ok=True)
    log(f"scale {SCALE} facts, {DURATION} s per run, {CONNECTIONS} connections, backends {' '.join(BACKENDS)}; "
        f"work files in {work}")
    results, postgres_capture = {}, None
    for backend in BACKENDS:
        if backend not in ("postgres", "sqlite"):
            raise SystemExit(f"bench: unknown backend {backend}")
        result = bench_backend(backend, work, postgres_capture)
        results[backend] = result
        if backend == "postgres":
            postgres_capture = {q: result["captured"][q]["sql"] for q in QUERIES}
            postgres_capture.update({f"{q}_rows": result["rows"][q]["raw_rows"] for q in QUERIES})

    report = [f"## Chancery read benchmark: {SCALE} facts, {DURATION} s per run, {CONNECTIONS} connections", "",
              table(results), ""]
    for backend, result in results.items():
        report.append(f"- {backend}: seeding took {result['seed_seconds']:.1f} s ({result['seed_line']}); "
                      f"server peak RSS (VmHWM) after the load {result['rss_mb']:.0f} MiB; Q2 is page "
                      f"{result['params']['page']}.")
        report.extend(f"- {backend}: {note}" for note in result["notes"])
    report.append("- raw-SQL rate: Postgres, pgbench transactions/s (`-M prepared -c 16 -j 2`, each transaction the "
                  "statements of one request); SQLite, loops/s over the same statements with Python's sqlite3 on "
                  f"{SQLITE_THREADS} threads (SQLite {sqlite3.sqlite_version}, not the server's build).")
    text = "\n".join(report)
    print()
    print(text, flush=True)
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, f"results-{SCALE}.md")
    with open(path, "w") as f:
        f.write(text + "\n")
    log(f"written to {path}")
    if not os.environ.get("BENCH_WORK") and os.environ.get("BENCH_KEEP") != "1":
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
