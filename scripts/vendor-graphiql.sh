#!/usr/bin/env bash
# Vendors the browser assets of GraphiQL (GET /graphql) into api/assets/graphiql/, from where
# api/src/http/graphiql.rs embeds them in the binary: the page then loads nothing from a CDN and
# works offline. Building needs none of this (the files are checked in); run it only to refresh.
#
# Downloads the pinned npm tarballs from the npm registry, takes the production builds out of
# them, checks each file's SHA-256 against the value pinned below (and fails on any mismatch),
# then writes the files, named with their version, and LICENSES.md.
#
# To move to other versions: change the versions below, set each hash to "" and run the script
# once (it prints the hashes it found and fails); check the diff of the sources you are taking,
# pin the printed hashes, run it again, then rename the files in api/src/http/graphiql.rs
# (ASSETS) and api/assets/graphiql/index.html.
#
# Needs bash, python3 (standard library only) and access to registry.npmjs.org
# (NPM_REGISTRY overrides the registry's address).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# React 18 is the last React that ships UMD builds (React 19 has none); GraphiQL 4 is the last
# major version of GraphiQL that ships a UMD bundle (graphiql.min.js; GraphiQL 5 is ESM only).
REACT_VERSION=18.3.1
GRAPHIQL_VERSION=4.1.2

# package|version|file in the tarball|name written|SHA-256 of the file
ASSETS="
react|$REACT_VERSION|package/umd/react.production.min.js|react-$REACT_VERSION.production.min.js|d949f1c3687aedadcedac85261865f29b17cd273997e7f6b2bfc53b2f9d4c4dd
react-dom|$REACT_VERSION|package/umd/react-dom.production.min.js|react-dom-$REACT_VERSION.production.min.js|35f4f974f4b2bcd44da73963347f8952e341f83909e4498227d4e26b98f66f0d
graphiql|$GRAPHIQL_VERSION|package/graphiql.min.js|graphiql-$GRAPHIQL_VERSION.min.js|867226ba8af5ce7949903fc53932f78dac9f4bfc6cc8da0fd3869b8bc6c5256b
graphiql|$GRAPHIQL_VERSION|package/graphiql.min.css|graphiql-$GRAPHIQL_VERSION.min.css|30487e07635d312a63f647b140d37740a73c53332b0975bf4b1fe985ca6ec885
"

OUT=api/assets/graphiql
REGISTRY=${NPM_REGISTRY:-https://registry.npmjs.org}

mkdir -p "$OUT"
python3 - "$OUT" "$REGISTRY" "$ASSETS" <<'PY'
import base64, hashlib, io, json, os, sys, tarfile, urllib.request

out, registry, table = sys.argv[1], sys.argv[2].rstrip("/"), sys.argv[3]
rows = [line.split("|") for line in table.strip().splitlines()]

def fetch(url):
    with urllib.request.urlopen(url, timeout=120) as response:
        return response.read()

tarballs = {}
def tarball(package, version):
    """The package's tarball, checked against the registry's SHA-512 integrity."""
    key = (package, version)
    if key not in tarballs:
        meta = json.loads(fetch(f"{registry}/{package}/{version}"))
        data = fetch(meta["dist"]["tarball"])
        algorithm, _, expected = meta["dist"]["integrity"].partition("-")
        found = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
        if found != expected:
            sys.exit(f"{package}@{version}: the tarball does not match the registry's {algorithm} integrity")
        tarballs[key] = (meta, tarfile.open(fileobj=io.BytesIO(data), mode="r:gz"))
    return tarballs[key]

def member(archive, name):
    handle = archive.extractfile(name)
    if handle is None:
        sys.exit(f"{name} is not a file in the tarball")
    return handle.read()

failed = False
files = {}
for package, version, path, name, pinned in rows:
    _, archive = tarball(package, version)
    data = member(archive, path)
    digest = hashlib.sha256(data).hexdigest()
    if digest != pinned:
        print(f"MISMATCH {package}@{version} {path}: SHA-256 {digest}, pinned {pinned or '(none)'}", file=sys.stderr)
        failed = True
        continue
    files[name] = data
    print(f"ok {name}: {len(data)} bytes, SHA-256 {digest}")
if failed:
    sys.exit("refusing to write: a file's SHA-256 differs from the pinned value (see above)")

for name, data in files.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)

lines = [
    "# Licences of the vendored GraphiQL assets",
    "",
    "Written by `scripts/vendor-graphiql.sh` (run it to refresh these files; do not edit them by",
    "hand). Each file below is taken unmodified from its package's npm tarball, checked against the",
    "SHA-256 pinned in the script.",
    "",
    "| file | package | version | licence | SHA-256 |",
    "|---|---|---|---|---|",
]
for package, version, path, name, pinned in rows:
    meta, _ = tarball(package, version)
    lines.append(f"| `{name}` | {package} | {version} | {meta.get('license', '?')} | `{pinned}` |")
lines.append("")
seen = set()
for package, version, path, name, pinned in rows:
    if (package, version) in seen:
        continue
    seen.add((package, version))
    meta, archive = tarball(package, version)
    lines += [
        f"## {package} {version}",
        "",
        f"Licence: {meta.get('license', '?')}. Tarball: <{meta['dist']['tarball']}>; the licence text",
        "below is `package/LICENSE` in it.",
    ]
    bundled = sorted(meta.get("dependencies", {}).items())
    if package == "graphiql" and bundled:
        lines += [
            "",
            "`graphiql.min.js` and `graphiql.min.css` also bundle GraphiQL's own dependencies (among",
            "them `@graphiql/react`, `graphql`, CodeMirror 5, Radix UI and markdown-it), each under the",
            "licence in its own package. GraphiQL's direct dependencies at this version: "
            + ", ".join(f"`{dep}@{spec}`" for dep, spec in bundled) + ".",
        ]
    lines += ["", "```text", member(archive, "package/LICENSE").decode().strip(), "```", ""]
with open(os.path.join(out, "LICENSES.md"), "w") as f:
    f.write("\n".join(lines))
print(f"wrote {len(files)} files and LICENSES.md to {out}")
PY
