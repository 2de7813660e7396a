// graphql-codegen: reads the operations written with `graphql()` in src/, validates each one
// against the committed schema (an unknown field, argument or input field fails the run), and
// writes their result and variable types with typed document nodes into src/gql/.
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: '../../schema.graphql',
  documents: ['src/**/*.ts', '!src/gql/**'],
  // No operation found is a mistake, not an empty success.
  ignoreNoDocuments: false,
  // Imports with `.js` extensions, as Node's ES module resolution (and tsc's NodeNext) need.
  emitLegacyCommonJSImports: false,
  generates: {
    'src/gql/': {
      preset: 'client',
      presetConfig: {
        // Each component reads only the fields its own fragment asks for.
        fragmentMasking: { unmaskFunctionName: 'getFragmentData' },
      },
      config: {
        // Both custom scalars travel as strings: RFC 3339 date-times and ISO 8601 dates.
        scalars: { DateTime: 'string', NaiveDate: 'string' },
        // A new custom scalar in the schema fails the run until it is mapped above.
        strictScalars: true,
        // Enums as string unions: no runtime code, and plain string literals type-check.
        enumsAsTypes: true,
        useTypeImports: true,
        // Only what the operations use (their enums, inputs and results), not every schema type.
        onlyOperationTypes: true,
      },
    },
  },
};

export default config;
