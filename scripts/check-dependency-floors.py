#!/usr/bin/env python3
"""Fails when Cargo.lock holds a crate below the version that carries a known fix.

The advisory database cannot be fetched on the machines this project runs on, so the floors
are kept in scripts/dependency-floors.txt and checked offline against Cargo.lock.
"""
import pathlib
import sys
import tomllib

root = pathlib.Path(__file__).resolve().parent.parent


def version_tuple(text):
    core = text.split("-")[0].split("+")[0]
    return tuple(int(part) for part in core.split("."))


floors = {}
for line in (root / "scripts" / "dependency-floors.txt").read_text().splitlines():
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    name, version, *why = line.split(None, 2)
    floors[name] = (version, why[0] if why else "")

lock = tomllib.loads((root / "Cargo.lock").read_text())
failures, seen = [], set()
for package in lock.get("package", []):
    name, version = package["name"], package["version"]
    if name in floors:
        seen.add(name)
        floor, why = floors[name]
        if version_tuple(version) < version_tuple(floor):
            failures.append(f"{name} {version} is below {floor}: {why}")

for name in sorted(floors):
    status = "checked" if name in seen else "not in Cargo.lock"
    print(f"dependency floor {name} >= {floors[name][0]}: {status}")
if failures:
    print("\n".join(failures), file=sys.stderr)
    sys.exit(1)
print("dependency floors: ok")
