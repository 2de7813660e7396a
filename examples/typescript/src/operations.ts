// The operations a Chancery frontend runs. `npm run codegen` validates each one against
// ../../schema.graphql and types it: `graphql()` then returns a TypedDocumentNode whose result
// and variables types the client (client.ts) carries through to the caller.
import { graphql } from './gql/index.js';

/** What a list item shows: the fact, who took part, and where it comes from. */
export const FactCardFragment = graphql(`
  fragment FactCard on Fact {
    id
    summary
    status
    modality
    occurred {
      date
      precision
      text
    }
    kind {
      key
      label
      category
    }
    participants {
      role
      title
      actor {
        id
        name
        kind
        country
      }
    }
    citations {
      id
      quote
      attribution
      verified
      source {
        id
        url
        title
        published {
          text
        }
        outlet {
          id
          name
        }
      }
    }
    outletCount
  }
`);

/** A page of the public record, newest first by default; pass `after: endCursor` for the next. */
export const FactsPageQuery = graphql(`
  query FactsPage($first: Int = 20, $after: String, $filter: FactFilterInput, $orderBy: FactOrderInput) {
    facts(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        cursor
        node {
          ...FactCard
        }
      }
    }
  }
`);

/**
 * One fact with its full provenance: every citation (withdrawn ones too, marked, with their
 * reason) with its quote in the source's text, whose words they are and which outlet is
 * relayed, the source document, the correction chain, and the hash-chained history with the
 * log's current head (`chancery verify-history --since-head <sequence>:<hash>` checks it later).
 */
export const FactDetailQuery = graphql(`
  query FactDetail($id: ID!) {
    fact(id: $id) {
      id
      summary
      status
      version
      modality
      country
      occurred {
        date
        precision
        text
      }
      occurredUntil {
        text
      }
      publishedAt
      retractedAt
      retractionReason
      kind {
        key
        label
        cameoCode
      }
      participants {
        role
        title
        actor {
          id
          name
          kind
          country
          wikidataQid
        }
      }
      qualifiers {
        key
        value
      }
      citations(statuses: [ACTIVE, WITHDRAWN]) {
        id
        status
        statusReason
        quote
        attribution
        attributedTo {
          id
          name
        }
        relayedFrom {
          id
          name
        }
        verified
        quoteInContext(chars: 160) {
          before
          quote
          after
        }
        source {
          id
          url
          title
          kind
          language
          archiveUrl
          retrievedAt
          hasSnapshot
          snapshotSha256
          published {
            date
            precision
            text
          }
          outlet {
            id
            name
          }
        }
      }
      outletCount
      supersedes {
        id
        summary
      }
      supersededBy {
        id
        summary
      }
      history {
        sequence
        version
        action
        at
        comment
        hash
      }
    }
    historyHead {
      sequence
      hash
      at
    }
  }
`);

/** Actors whose name or alias contains `search`: the picker of the relations page. */
export const ActorSearchQuery = graphql(`
  query ActorSearch($search: String!, $first: Int = 10) {
    actors(filter: { search: $search }, first: $first) {
      nodes {
        id
        name
        kind
        country
        aliases
      }
    }
  }
`);

/** The relations between two actors: the facts in which both take part (`allOf`), newest first. */
export const RelationsQuery = graphql(`
  query Relations($a: ID!, $b: ID!, $first: Int = 20, $after: String) {
    a: actor(id: $a) {
      id
      name
    }
    b: actor(id: $b) {
      id
      name
    }
    facts(
      filter: { allOf: [$a, $b] }
      orderBy: { field: OCCURRED_AT, direction: DESC }
      first: $first
      after: $after
    ) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        cursor
        node {
          ...FactCard
        }
      }
    }
  }
`);

/** Sign-in: the token goes into `Authorization: Bearer <token>` until `expiresAt`. */
export const SignInMutation = graphql(`
  mutation SignIn($input: LoginInput!) {
    login(input: $input) {
      token
      expiresAt
      viewer {
        id
        email
        displayName
        role
      }
    }
  }
`);

/**
 * A new draft fact (signed in as an editor). `input.idempotencyKey` makes a retry return the
 * same draft; each citation's quote is verified against its source's snapshot.
 */
export const CreateDraftFactMutation = graphql(`
  mutation CreateDraftFact($input: CreateFactInput!) {
    createFact(input: $input) {
      fact {
        id
        status
        version
        summary
        createdAt
        kind {
          key
        }
        citations {
          id
          verified
          source {
            id
            url
          }
        }
      }
    }
  }
`);
