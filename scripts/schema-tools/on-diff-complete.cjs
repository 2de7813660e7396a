// GraphQL Inspector's `diff --onComplete` handler for scripts/schema-checks.sh. Inspector has
// listed every change by then (✖ breaking, ⚠ dangerous, ✔ safe); this repeats the breaking ones
// in a banner that cannot be missed. A breaking change is reported, not failed: the schema is the
// code's, and a deliberate break is reviewed with it. SCHEMA_CHECKS_FAIL_ON_BREAKING=1 fails it.
'use strict';

module.exports = function onDiffComplete({ breakingChanges, dangerousChanges }) {
  const base = process.env.SCHEMA_DIFF_BASE || 'the previous schema';
  const rule = '='.repeat(78);
  if (breakingChanges.length === 0) {
    console.log(`\nNo breaking changes to schema.graphql since ${base}` +
      (dangerousChanges.length ? ` (${dangerousChanges.length} dangerous, marked ⚠ above).` : '.'));
    return;
  }
  const lines = [
    '',
    rule,
    `BREAKING: ${breakingChanges.length} breaking change(s) to schema.graphql since ${base}`,
    'Clients written against the old schema may stop working:',
    ...breakingChanges.map((change) => `  ✖ ${change.message}`),
  ];
  if (dangerousChanges.length) lines.push(`and ${dangerousChanges.length} dangerous change(s), marked ⚠ above.`);
  lines.push('Say so in CHANGELOG.md and in the commit message.', rule, '');
  console.log(lines.join('\n'));
  if (process.env.SCHEMA_CHECKS_FAIL_ON_BREAKING === '1') process.exitCode = 1;
};
