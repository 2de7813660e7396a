"""Schemathesis hooks for Chancery, loaded by scripts/schemathesis.sh through SCHEMATHESIS_HOOKS.

Schemathesis knows GraphQL, not this server's error contract. Chancery answers every refusal with
HTTP 200 and an `errors` entry whose `extensions.code` says why:

- resolver refusals carry a `path`: UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, CONFLICT,
  INVALID_TRANSITION, RATE_LIMITED (the login throttle) and BAD_USER_INPUT (the domain's rules:
  empty titles, ids that do not decode, unknown kinds... that a GraphQL schema cannot express);
- refusals before execution carry none: BAD_USER_INPUT (parse, validation, coercion; or a rule
  of the API checked before execution, such as no NUL in strings, which names the offending
  values in `extensions.fields`) and the cost limits (QUERY_TOO_LARGE, TOO_MANY_TOKENS,
  QUERY_TOO_COMPLEX, TOO_MANY_ALIASES, QUERY_TOO_DEEP, TOO_MANY_DIRECTIVES);
- a fault of the server is INTERNAL (with an `errorId`), or UNAVAILABLE / TIMEOUT when the
  database failed or a statement ran too long; on a local SQLite store all of them are findings.

The generator fills every optional argument, so nearly every positive case of a connection asks
for `first` and `last` (or `after` and `before`) at once, which the server refuses as Relay does,
and the resolvers below lists are never reached; `map_case` keeps one direction in positive cases.

Every check stays enabled. `filter_failure` drops exactly the failures that are such documented
refusals; `chancery_error_contract` adds what the built-in checks cannot see (a server fault
answered with HTTP 200, or an error without a known code, in positive and negative cases alike).
"""

from __future__ import annotations

import dataclasses
import zlib

import graphql
from hypothesis import strategies as st

import schemathesis
from schemathesis.graphql import nodes
from schemathesis.graphql.checks import GraphQLClientError, GraphQLServerError

# `NaiveDate` is an ISO 8601 calendar date (chrono's NaiveDate), e.g. "2025-02-12".
schemathesis.graphql.scalar("NaiveDate", st.dates().map(lambda date: nodes.String(date.isoformat())))

# Refusals a resolver may answer for a request that is well formed GraphQL.
RESOLVER_REFUSALS = frozenset(
    {
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "NOT_FOUND",
        "CONFLICT",
        "INVALID_TRANSITION",
        "RATE_LIMITED",
        "BAD_USER_INPUT",
    }
)
# Limits on a query document's cost, which the introspected schema does not describe.
COST_LIMITS = frozenset(
    {
        "QUERY_TOO_LARGE",
        "TOO_MANY_TOKENS",
        "QUERY_TOO_COMPLEX",
        "TOO_MANY_ALIASES",
        "QUERY_TOO_DEEP",
        "TOO_MANY_DIRECTIVES",
    }
)
# Answers of the HTTP layer, before GraphQL runs (5xx ones are left to not_a_server_error).
HTTP_REFUSALS = frozenset(
    {"BAD_REQUEST", "BATCH_NOT_ALLOWED", "METHOD_NOT_ALLOWED", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE"}
)
# The client's own transport was too slow (a request body that did not arrive in time): the
# server refusing it is the contract, whatever the request said. Seen when the machine running
# both the fuzzer and the server is loaded.
CLIENT_TRANSPORT = frozenset({"BODY_TIMEOUT"})
# Faults of the server: never expected in a fuzz run.
SERVER_FAULTS = frozenset({"INTERNAL", "UNAVAILABLE", "TIMEOUT", "OVERLOADED"})
KNOWN_CODES = RESOLVER_REFUSALS | COST_LIMITS | HTTP_REFUSALS | CLIENT_TRANSPORT | SERVER_FAULTS


def _code(error: object) -> object:
    extensions = error.get("extensions") if isinstance(error, dict) else None
    return extensions.get("code") if isinstance(extensions, dict) else None


def _is_refusal(error: object) -> bool:
    """A documented refusal: a resolver's (with its `path`), one naming the offending values
    (`extensions.fields`), or a cost limit's."""
    if not isinstance(error, dict):
        return False
    code = _code(error)
    names_fields = bool(error["extensions"].get("fields")) if code is not None else False
    return (
        (code in RESOLVER_REFUSALS and ("path" in error or names_fields))
        or code in COST_LIMITS
        or code in CLIENT_TRANSPORT
    )


@schemathesis.hook
def filter_failure(context, failure, case, response) -> bool:
    """Keep a failure unless every error it reports is a documented refusal.

    Kept, among others: 5xx answers, INTERNAL errors, errors without a code, responses that break
    the schema, a token refused as a whole (UNAUTHENTICATED without a `path`), and positive cases
    refused by the GraphQL validator (BAD_USER_INPUT without `path` or `fields`: a query built
    from the server's own introspected schema that it does not accept).
    """
    if isinstance(failure, (GraphQLServerError, GraphQLClientError)):
        errors = failure.errors or []
        return not (errors and all(_is_refusal(error) for error in errors))
    return True


@schemathesis.check
def chancery_error_contract(ctx, response, case):
    """Every GraphQL error carries a known `extensions.code`, and none is a server fault."""
    if response.status_code >= 500:
        return None  # not_a_server_error reports these
    try:
        payload = response.json()
    except ValueError:
        return None  # the built-in checks report bodies that are not JSON
    if not isinstance(payload, dict):
        return None
    errors = payload.get("errors") or []
    faults = [error for error in errors if _code(error) in SERVER_FAULTS]
    if faults:
        found = ", ".join(f"{_code(error)} (errorId {error['extensions'].get('errorId')})" for error in faults)
        raise AssertionError(f"the server answered {found}; see the server log")
    unknown = [error for error in errors if _code(error) not in KNOWN_CODES]
    if unknown:
        raise AssertionError(f"errors without a known extensions.code: {unknown}")
    return None


FORWARD = frozenset({"first", "after"})
BACKWARD = frozenset({"last", "before"})


class _OneDirection(graphql.Visitor):
    """Drops the arguments of one paging direction from fields that carry both."""

    def enter_field(self, node, *_):
        given = {
            argument.name.value
            for argument in node.arguments or ()
            if not isinstance(argument.value, graphql.NullValueNode)
        }
        if not (given & FORWARD and given & BACKWARD):
            return None
        # Deterministic, so that Hypothesis replays and shrinks the same request.
        drop = BACKWARD if zlib.crc32(graphql.print_ast(node).encode()) % 2 else FORWARD
        kept = tuple(argument for argument in node.arguments if argument.name.value not in drop)
        return dataclasses.replace(node, arguments=kept)


@schemathesis.hook
def map_case(context, case):
    """In positive cases, page lists in one direction only (see the module's documentation)."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or not isinstance(case.body, str):
        return case
    try:
        document = graphql.parse(case.body)
    except graphql.GraphQLError:
        return case
    changed = graphql.visit(document, _OneDirection())
    if changed is not document:
        case.body = graphql.print_ast(changed)
    return case
