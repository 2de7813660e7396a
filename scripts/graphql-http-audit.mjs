#!/usr/bin/env node
// The GraphQL-over-HTTP reference audit (`auditServer` from graphql-http, pinned in
// scripts/graphql-http-audit/package-lock.json) against a running server:
//
//   (cd scripts/graphql-http-audit && npm ci) && node scripts/graphql-http-audit.mjs http://127.0.0.1:8080/graphql
//
// Every result is printed. Any MUST failure ("error") or SHOULD warning ("warn") fails (exit 1).
// Notices (MAY requirements not met) are printed and accepted. The ones we expect, and why:
//
// - 3E3A "MAY use 400 status code if parameters are invalid" and 8764 "MAY use 4xx or 5xx status
//   codes if parameters are invalid": a body without `query` (here `notTheQuery`), sent with
//   `Accept: application/json`. The body is a JSON object, so we read it as an empty document,
//   which fails to parse: a request error, and under application/json the spec's legacy rule
//   answers every GraphQL response with 200 (with graphql-response+json it is a 400 without
//   `data`). Clients of application/json expect that 200.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const require = createRequire(
  path.join(path.dirname(fileURLToPath(import.meta.url)), 'graphql-http-audit', 'package.json'),
);
const { auditServer } = require('graphql-http');

const url = process.argv[2];
if (!url) {
  console.error('usage: node scripts/graphql-http-audit.mjs <GraphQL endpoint URL, e.g. http://127.0.0.1:8080/graphql>');
  process.exit(2);
}

const results = await auditServer({ url });
const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
const order = { error: 0, warn: 1, notice: 2, ok: 3 };
results.sort((a, b) => order[a.status] - order[b.status] || a.id.localeCompare(b.id));
for (const result of results) {
  counts[result.status] += 1;
  const label = { ok: 'ok    ', notice: 'NOTICE', warn: 'WARN  ', error: 'ERROR ' }[result.status];
  console.log(`${label} ${result.id} ${result.name}`);
  if (result.status !== 'ok') {
    console.log(`       ${result.reason}`);
    const response = result.response;
    let body = '';
    try {
      body = await response.text();
    } catch {
      // the audit read the body already
    }
    console.log(`       -> ${response.status} ${response.headers.get('content-type') ?? '(no content-type)'} ${body.slice(0, 300)}`);
  }
}
console.log(
  `\ngraphql-http audit of ${url}: ${counts.ok} ok, ${counts.error} MUST failures, ${counts.warn} SHOULD warnings, ${counts.notice} notices`,
);
process.exit(counts.error + counts.warn > 0 ? 1 : 0);
