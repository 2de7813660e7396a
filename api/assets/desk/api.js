// The desk's only way to the server: POST /graphql with the bearer token, as any client of the
// public API would. The token lives in sessionStorage (gone with the tab, never a cookie, so no
// request is ever authenticated by the browser on its own).

const SESSION_KEY = 'chancery.desk.session';

/** An answer's errors, as thrown: `code` is `extensions.code`, `fields` the offending paths. */
export class ApiError extends Error {
  constructor(errors) {
    const first = errors[0] || {};
    super(errors.map((e) => e.message).join('; ') || 'the request failed');
    this.code = (first.extensions && first.extensions.code) || 'INTERNAL';
    this.fields = errors.flatMap((e) => (e.extensions && e.extensions.fields) || []);
  }
}

export function session() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(SESSION_KEY) || 'null');
    if (stored && Date.parse(stored.expiresAt) > Date.now()) return stored;
  } catch (_) { /* a damaged entry is no session */ }
  return null;
}

export function signOut() {
  sessionStorage.removeItem(SESSION_KEY);
}

const LOGIN = `mutation Login($input: LoginInput!) {
  login(input: $input) { token expiresAt viewer { id email displayName role } }
}`;

/** Signs in; the session is kept for this tab. */
export async function signIn(email, password) {
  const data = await request(LOGIN, { input: { email, password } }, null);
  const stored = { token: data.login.token, expiresAt: data.login.expiresAt, viewer: data.login.viewer };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(stored));
  return stored;
}

let reauthenticate = null;

/** What to do when the token is refused: a function that resolves once signed in again. */
export function onExpiredSession(handler) {
  reauthenticate = handler;
}

/** Runs an operation with the session's token (if any). When the server says the token is no
 * longer good, asks the user to sign in again and runs it once more: nothing on the page is lost. */
export async function gql(query, variables = {}) {
  const current = session();
  try {
    return await request(query, variables, current && current.token);
  } catch (error) {
    if (error.code !== 'UNAUTHENTICATED' || !reauthenticate) throw error;
    await reauthenticate();
    return request(query, variables, session() && session().token);
  }
}

async function request(query, variables, token) {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/graphql-response+json, application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch('/graphql', { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  } catch (_) {
    throw new ApiError([{ message: 'the server could not be reached; check the connection and try again', extensions: { code: 'NETWORK' } }]);
  }
  let body;
  try {
    body = await response.json();
  } catch (_) {
    throw new ApiError([{ message: `the server answered ${response.status} without a GraphQL body`, extensions: { code: 'INTERNAL' } }]);
  }
  if (body.errors && body.errors.length) throw new ApiError(body.errors);
  return body.data;
}
