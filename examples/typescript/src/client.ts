// A minimal typed client: posts a TypedDocumentNode to the Chancery endpoint with `fetch` and
// returns its data, typed by the document. Any error in the answer is thrown, never returned.
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { getOperationAST, print } from 'graphql';

/** One entry of `extensions.fields`: an offending value's path (`citations[0].quote`) and why. */
export interface FieldViolation {
  path: string;
  message: string;
}

/** The extensions Chancery puts on every error. */
export interface ChanceryErrorExtensions {
  /** BAD_USER_INPUT, NOT_FOUND, CONFLICT, UNAUTHENTICATED, FORBIDDEN, RATE_LIMITED, INTERNAL, … */
  code: string;
  /** BAD_USER_INPUT: every offending argument, or field of a mutation's `input`. */
  fields?: FieldViolation[];
  /** CONFLICT: the version to read again before retrying. */
  currentVersion?: number;
  /** RATE_LIMITED and UNAVAILABLE: seconds to wait. */
  retryAfter?: number;
  /** INTERNAL: the id under which the server logged the details. */
  errorId?: string;
  [key: string]: unknown;
}

export interface ChanceryGraphQLError {
  message: string;
  path?: (string | number)[];
  locations?: { line: number; column: number }[];
  extensions?: ChanceryErrorExtensions;
}

/** Thrown for an answer with `errors`, or one that is not a GraphQL answer at all. */
export class ChanceryError extends Error {
  /** The errors of the answer (empty when the answer was not GraphQL, e.g. a proxy's 502). */
  readonly errors: readonly ChanceryGraphQLError[];
  /** The HTTP status (Chancery answers GraphQL errors with 200, refusals at the edge with 4xx). */
  readonly status: number;
  /** Whatever data came with the errors (a field that failed is null in it). */
  readonly data: unknown;

  constructor(message: string, errors: readonly ChanceryGraphQLError[], status: number, data: unknown) {
    super(message);
    this.name = 'ChanceryError';
    this.errors = errors;
    this.status = status;
    this.data = data;
  }

  /** The first error's `extensions.code`. */
  get code(): string | undefined {
    return this.errors[0]?.extensions?.code;
  }
}

export interface ClientOptions {
  /** The GraphQL endpoint, e.g. `http://127.0.0.1:8080/graphql`. */
  url: string;
  /** An access token from `login`, sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** A frontend server's API key, sent as `X-Api-Key` (counted against the key's own rate). */
  apiKey?: string;
  /** Another `fetch` (tests, server-side rendering); the global one by default. */
  fetch?: typeof fetch;
}

/**
 * The rest of a call after the document: the variables, optional when the operation has none or
 * only optional ones, then anything else `fetch` should get (an `AbortSignal`, headers).
 */
export type VariablesArg<TVariables> =
  Record<string, never> extends TVariables
    ? [variables?: TVariables, init?: RequestInit]
    : [variables: TVariables, init?: RequestInit];

export type Request = <TData, TVariables extends Record<string, unknown>>(
  document: TypedDocumentNode<TData, TVariables>,
  ...args: VariablesArg<TVariables>
) => Promise<TData>;

interface GraphQLAnswer {
  data?: unknown;
  errors?: ChanceryGraphQLError[];
}

/** A `request` function bound to an endpoint and, optionally, a token or API key. */
export function createClient(options: ClientOptions): Request {
  const doFetch = options.fetch ?? fetch;

  async function request<TData, TVariables extends Record<string, unknown>>(
    document: TypedDocumentNode<TData, TVariables>,
    ...[variables, init]: VariablesArg<TVariables>
  ): Promise<TData> {
    const headers = new Headers(init?.headers);
    headers.set('content-type', 'application/json');
    headers.set('accept', 'application/json');
    if (options.token !== undefined) headers.set('authorization', `Bearer ${options.token}`);
    if (options.apiKey !== undefined) headers.set('x-api-key', options.apiKey);

    const response = await doFetch(options.url, {
      ...init,
      method: 'POST',
      headers,
      body: JSON.stringify({
        query: print(document),
        operationName: getOperationAST(document)?.name?.value,
        variables: variables ?? {},
      }),
    });

    let answer: GraphQLAnswer | undefined;
    try {
      answer = (await response.json()) as GraphQLAnswer;
    } catch {
      answer = undefined; // not JSON: a proxy's error page, say
    }
    const errors = answer?.errors ?? [];
    if (errors.length > 0) {
      const codes = errors.map((e) => e.extensions?.code ?? 'no code').join(', ');
      throw new ChanceryError(`${errors[0]?.message ?? 'error'} [${codes}]`, errors, response.status, answer?.data);
    }
    if (!response.ok || answer?.data == null) {
      throw new ChanceryError(`HTTP ${response.status} without GraphQL data`, [], response.status, undefined);
    }
    // The server validated the operation against the schema the document was typed from.
    return answer.data as TData;
  }

  return request;
}
