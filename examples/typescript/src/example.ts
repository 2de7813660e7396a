// Runs each operation of operations.ts against a Chancery server, as a frontend would:
//
//   cargo run -- serve --demo            # in the repository root
//   npm run example                      # here; CHANCERY_URL overrides the endpoint
//
// Signs in as the demo editor (CHANCERY_EMAIL / CHANCERY_PASSWORD override) and records one
// draft fact; a second run returns the same draft (its idempotency key is the same).
import { ChanceryError, createClient } from './client.js';
import { getFragmentData, type FragmentType } from './gql/index.js';
import type { CreateFactInput, ParticipantInput } from './gql/graphql.js';
import {
  ActorSearchQuery,
  CreateDraftFactMutation,
  FactCardFragment,
  FactDetailQuery,
  FactsPageQuery,
  RelationsQuery,
  SignInMutation,
} from './operations.js';

const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();

const url = process.env['CHANCERY_URL'] ?? 'http://127.0.0.1:8080/graphql';
const publicClient = createClient({ url });

/** A list item: what `FactCard` selects, and nothing else (the fragment is masked elsewhere). */
function printCard(ref: FragmentType<typeof FactCardFragment>): void {
  const fact = getFragmentData(FactCardFragment, ref);
  const who = fact.participants.map((p) => `${p.actor.name} (${p.role.toLowerCase()})`).join(', ');
  console.log(`- ${fact.occurred.text} · ${fact.kind.label} · ${fact.summary}`);
  console.log(`  ${who}; ${fact.outletCount} outlet(s)`);
  for (const citation of fact.citations) {
    const outlet = citation.source.outlet?.name ?? 'unknown outlet';
    console.log(`  “${citation.quote}” — ${outlet}, ${citation.source.url}${citation.verified ? ' ✓' : ''}`);
  }
}

// 1. The first page of the public record, then the page after it.
const page = await publicClient(FactsPageQuery, { first: 3, orderBy: { field: 'OCCURRED_AT', direction: 'DESC' } });
console.log(`First ${page.facts.edges.length} facts:`);
page.facts.edges.forEach((edge) => printCard(edge.node));
if (page.facts.pageInfo.hasNextPage) {
  const after = page.facts.pageInfo.endCursor ?? undefined;
  const next = await publicClient(FactsPageQuery, { first: 3, after });
  console.log(`…and ${next.facts.edges.length} more after cursor ${after}`);
}

// 2. One fact with its provenance.
const firstEdge = page.facts.edges[0];
if (firstEdge === undefined) throw new Error('the server has no public facts: start it with --demo');
const firstId = getFragmentData(FactCardFragment, firstEdge.node).id;
const { fact, historyHead } = await publicClient(FactDetailQuery, { id: firstId });
if (fact == null) throw new Error(`fact ${firstId} is not visible`);
console.log(`\n${fact.summary} [${fact.status}, version ${fact.version}]`);
for (const q of fact.qualifiers) console.log(`  ${q.key}: ${q.value}`);
for (const c of fact.citations) {
  const words = c.attributedTo ? `${c.attributedTo.name}'s words` : "the source's own words";
  const relay = c.attribution === 'RELAYED' && c.relayedFrom ? `, relayed from ${c.relayedFrom.name}` : '';
  const published = c.source.published?.text ?? 'undated';
  console.log(`  ${c.status}: “${c.quote}” (${words}${relay}) in “${c.source.title}”, ${published}`);
  if (c.statusReason != null) console.log(`    withdrawn: ${c.statusReason}`);
  if (c.quoteInContext) {
    const { before, quote, after } = c.quoteInContext;
    console.log(`    …${oneLine(before)} [${oneLine(quote)}] ${oneLine(after)}…`);
  }
}
for (const r of fact.history) console.log(`  #${r.sequence} ${r.action} at ${r.at} (v${r.version}) ${r.hash.slice(0, 12)}…`);
console.log(`  log head: ${historyHead.sequence}:${historyHead.hash}`);

// 3. The relations between two actors, picked by name.
async function actorId(name: string): Promise<string> {
  // The search matches parts of names and aliases ("Russia" finds RT, "Russia Today"): prefer the exact name.
  const { actors } = await publicClient(ActorSearchQuery, { search: name, first: 10 });
  const actor = actors.nodes.find((a) => a.name.toLowerCase() === name.toLowerCase()) ?? actors.nodes[0];
  if (actor === undefined) throw new Error(`no actor matches "${name}"`);
  return actor.id;
}
const relations = await publicClient(RelationsQuery, { a: await actorId('Russia'), b: await actorId('Syria') });
console.log(`\n${relations.facts.totalCount} fact(s) involve both ${relations.a?.name} and ${relations.b?.name}:`);
relations.facts.edges.forEach((edge) => printCard(edge.node));

// 4. Sign in, and 5. record a draft based on the fact read above (same kind, actors and quotes).
const { login } = await publicClient(SignInMutation, {
  input: {
    email: process.env['CHANCERY_EMAIL'] ?? 'editor@demo.chancery',
    password: process.env['CHANCERY_PASSWORD'] ?? 'demo-editor-password',
  },
});
console.log(`\nSigned in as ${login.viewer.displayName} (${login.viewer.role}) until ${login.expiresAt}`);
const editor = createClient({ url, token: login.token });

const participants: ParticipantInput[] = fact.participants.map((p) => ({ actor: p.actor.id, role: p.role, title: p.title }));
const input: CreateFactInput = {
  idempotencyKey: `typescript-example-${fact.id}`,
  kind: fact.kind.key,
  summary: `Draft from the TypeScript example: ${fact.summary}`.slice(0, 500),
  modality: fact.modality,
  occurredOn: fact.occurred.date,
  occurredPrecision: fact.occurred.precision,
  country: fact.country,
  participants,
  qualifiers: fact.qualifiers.map(({ key, value }) => ({ key, value })),
  citations: fact.citations
    .filter((c) => c.status === 'ACTIVE')
    .map((c) => ({
      source: c.source.id,
      quote: c.quote,
      attribution: c.attribution,
      attributedTo: c.attributedTo?.id,
      relayedFrom: c.relayedFrom?.id,
    })),
};
try {
  const { createFact } = await editor(CreateDraftFactMutation, { input });
  const draft = createFact.fact;
  const verified = draft.citations.filter((c) => c.verified).length;
  console.log(`Draft ${draft.id}: ${draft.status} v${draft.version}, ${verified}/${draft.citations.length} quote(s) verified`);
} catch (error) {
  // BAD_USER_INPUT names every offending field by its path in `input`.
  if (error instanceof ChanceryError && error.code === 'BAD_USER_INPUT') {
    for (const e of error.errors) for (const f of e.extensions?.fields ?? []) console.error(`input.${f.path}: ${f.message}`);
  }
  throw error;
}
