// The editorial desk: sign-in, recording a fact, my work, the review queue and the public fact
// page, each a route of this one page (`/desk/...`), all over the public GraphQL API.
import { ApiError, gql, onExpiredSession, session, signIn, signOut } from './api.js';
import { locateQuote, quoteParts } from './quotes.js';
import {
  CONTEXT_CHARS, changesView, citationView, claimView, factLink, fill, formatTime, h, historyView, statusBadge,
} from './views.js';

const main = document.getElementById('main');

// ---------------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------------

const FACT_FIELDS = `
  id version status summary modality country publishedAt retractedAt retractionReason updatedAt
  kind { key label }
  occurred { date precision text } occurredUntil { date precision text }
  participants { role title actor { id name } }
  qualifiers { key value }
  citations {
    id quote attribution verified status statusReason
    attributedTo { id name } relayedFrom { id name }
    quoteInContext(chars: ${CONTEXT_CHARS}) { before quote after }
    source { id url title outlet { name } published { text } }
  }
  outletCount
  supersedes { id summary }
  supersededBy { id summary status }
  history { version action at comment }`;

const PUBLIC_FACT = `query PublicFact($id: ID!) { fact(id: $id) { ${FACT_FIELDS} } }`;

const RECENT_FACTS = `query Recent { facts(first: 10) { nodes { id summary status occurred { text } kind { label } } } }`;

const KINDS = `query Kinds { factKinds { key label description deprecatedAt allowedRoles allowedQualifiers requiredQualifiers } }`;

const ACTOR_SEARCH = `query Actors($search: String!) {
  actors(filter: { search: $search }, first: 8) { nodes { id name kind country aliases } }
}`;

const SOURCE_BY_URL = `query SourceByUrl($url: String!) {
  sourceByUrl(url: $url) { id url title hasSnapshot snapshot outlet { name } }
}`;

const CREATE_SOURCE = `mutation CreateSource($input: CreateSourceInput!) {
  createSource(input: $input) { source { id url title hasSnapshot snapshot } }
}`;

const CREATE_FACT = `mutation CreateFact($input: CreateFactInput!) { createFact(input: $input) { fact { id version status } } }`;
const UPDATE_FACT = `mutation UpdateFact($input: UpdateFactInput!) { updateFact(input: $input) { fact { id version status } } }`;
const SUBMIT_FACT = `mutation SubmitFact($input: SubmitFactInput!) { submitFact(input: $input) { fact { id version status } } }`;
const EDITABLE_FACT = `query EditableFact($id: ID!) { fact(id: $id) { ${FACT_FIELDS}
  citations { id source { id url title hasSnapshot snapshot } } } }`;

const MY_FACTS = `query MyFacts { myFacts(first: 100) { nodes { ${FACT_FIELDS}
  changesSinceLastReview { field before after } } } }`;

const REVIEW_QUEUE = `query ReviewQueue {
  viewer { id role }
  mine: myFacts(first: 100, filter: { statuses: [IN_REVIEW] }) { nodes { id } }
  reviewQueue(first: 50) { totalCount nodes {
    __typename
    ... on Fact { ${FACT_FIELDS} changesSinceLastReview { field before after } }
    ... on Citation { id quote attribution verified proposedAt
      quoteInContext(chars: ${CONTEXT_CHARS}) { before quote after }
      source { id url title outlet { name } published { text } }
      fact { id summary status outletCount } }
  } }
}`;

const REVIEW_FACT = `mutation ReviewFact($input: ReviewFactInput!) { reviewFact(input: $input) { fact { id status version } } }`;
const REVIEW_CITATION = `mutation ReviewCitation($input: ReviewCitationInput!) { reviewCitation(input: $input) { citation { id status } } }`;

// ---------------------------------------------------------------------------------------------
// Routing
// ---------------------------------------------------------------------------------------------

const ROUTES = [
  [/^\/desk\/?$/, homeView],
  [/^\/desk\/sign-in$/, signInView],
  [/^\/desk\/record$/, () => recordView(null)],
  [/^\/desk\/record\/([^/]+)$/, (id) => recordView(decodeURIComponent(id))],
  [/^\/desk\/work$/, workView],
  [/^\/desk\/review$/, reviewView],
  [/^\/desk\/facts\/([^/]+)$/, (id) => factView(decodeURIComponent(id))],
];

export function navigate(path, replace = false) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  route();
}

async function route() {
  showNotice('');
  updateHeader();
  const path = location.pathname;
  for (const [pattern, view] of ROUTES) {
    const match = path.match(pattern);
    if (match) {
      fill(main, h('p', {}, 'Loading…'));
      try {
        await view(...match.slice(1));
      } catch (error) {
        fill(main, h('h1', {}, 'Something went wrong'), errorText(error));
      }
      main.focus({ preventScroll: true });
      return;
    }
  }
  fill(main, h('h1', {}, 'No such page'), h('p', {}, h('a', { href: '/desk' }, 'Back to the desk')));
}

document.addEventListener('click', (event) => {
  const link = event.target.closest('a[href^="/desk"]');
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || link.target) return;
  event.preventDefault();
  navigate(link.getAttribute('href'));
});
window.addEventListener('popstate', route);

function updateHeader() {
  const current = session();
  const role = current ? current.viewer.role : null;
  for (const link of document.querySelectorAll('#nav a')) {
    const wanted = link.dataset.role;
    link.hidden = !role || (wanted === 'reviewer' && role === 'EDITOR');
    if (link.getAttribute('href') === location.pathname) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  fill(document.getElementById('viewer'), current ? `${current.viewer.displayName} (${current.viewer.role.toLowerCase()})` : '');
  document.getElementById('sign-in-link').hidden = !!current;
  document.getElementById('sign-out').hidden = !current;
}

document.getElementById('sign-out').addEventListener('click', () => {
  signOut();
  navigate('/desk/sign-in');
});

function showNotice(text, kind = 'info') {
  const notice = document.getElementById('notice');
  notice.hidden = !text;
  notice.className = `notice-${kind}`;
  fill(notice, text);
}

function errorText(error) {
  const code = error instanceof ApiError ? error.code : 'INTERNAL';
  return h('p', { class: 'error', role: 'alert' }, h('strong', {}, code), ': ', error.message);
}

function requireSignIn() {
  if (session()) return true;
  navigate(`/desk/sign-in?next=${encodeURIComponent(location.pathname)}`, true);
  return false;
}

// The token expired or was revoked: ask for the password in a dialog over the page, so the form
// being filled stays as it is, then carry on with the request that was refused.
onExpiredSession(() => new Promise((resolve) => {
  const dialog = document.getElementById('reauth');
  const form = document.getElementById('reauth-form');
  const problem = document.getElementById('reauth-error');
  const previous = session();
  document.getElementById('reauth-email').value = previous ? previous.viewer.email : '';
  fill(problem, '');
  const submit = async (event) => {
    event.preventDefault();
    try {
      await signIn(form.email.value, form.password.value);
      form.removeEventListener('submit', submit);
      form.password.value = '';
      dialog.close();
      updateHeader();
      resolve();
    } catch (error) {
      fill(problem, error.message);
    }
  };
  form.addEventListener('submit', submit);
  if (!dialog.open) dialog.showModal();
}));

// ---------------------------------------------------------------------------------------------
// Home and sign-in
// ---------------------------------------------------------------------------------------------

async function homeView() {
  const current = session();
  if (current) {
    navigate(current.viewer.role === 'EDITOR' ? '/desk/work' : '/desk/review', true);
    return;
  }
  const data = await gql(RECENT_FACTS);
  fill(main,
    h('h1', {}, 'The editorial desk'),
    h('p', {}, 'Editors record sourced facts here and reviewers approve them. ', h('a', { href: '/desk/sign-in' }, 'Sign in'), ' to work, or read the published record:'),
    h('ul', { class: 'facts' }, data.facts.nodes.map((fact) =>
      h('li', {}, factLink(fact), h('span', { class: 'meta' }, ` ${fact.kind.label} · ${fact.occurred.text} `), statusBadge(fact.status)))));
}

function signInView() {
  const next = new URLSearchParams(location.search).get('next');
  const problem = h('p', { class: 'error', role: 'alert', id: 'sign-in-error' });
  const form = h('form', { class: 'card narrow', novalidate: true, 'aria-labelledby': 'sign-in-title' },
    h('h1', { id: 'sign-in-title' }, 'Sign in'),
    h('label', { for: 'email' }, 'Email'),
    h('input', { id: 'email', name: 'email', type: 'email', autocomplete: 'username', required: true }),
    h('label', { for: 'password' }, 'Password'),
    h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
    problem,
    h('button', { type: 'submit', id: 'sign-in-submit' }, 'Sign in'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    fill(problem, '');
    if (!form.email.value || !form.password.value) {
      fill(problem, 'Enter your email and password.');
      return;
    }
    try {
      const signedIn = await signIn(form.email.value.trim(), form.password.value);
      const home = signedIn.viewer.role === 'EDITOR' ? '/desk/work' : '/desk/review';
      navigate(next && next.startsWith('/desk/') ? next : home);
    } catch (error) {
      fill(problem, error.code === 'RATE_LIMITED' ? error.message : `${error.message}`);
      form.password.select();
    }
  });
  fill(main, form);
  form.email.focus();
}

// ---------------------------------------------------------------------------------------------
// The public fact page
// ---------------------------------------------------------------------------------------------

async function factView(id) {
  const data = await gql(PUBLIC_FACT, { id });
  const fact = data.fact;
  if (!fact) {
    fill(main, h('h1', {}, 'No such fact'), h('p', {}, 'It does not exist, or it is not public yet.'));
    return;
  }
  document.title = `${fact.summary} — Chancery`;
  const notices = [];
  if (fact.status === 'RETRACTED') {
    notices.push(h('p', { class: 'banner retracted', role: 'note' }, h('strong', {}, 'Retracted'),
      ` ${formatTime(fact.retractedAt)}: ${fact.retractionReason || ''}`));
  }
  if (fact.supersededBy) {
    notices.push(h('p', { class: 'banner superseded', role: 'note' }, h('strong', {}, 'Superseded'), ' by a correction: ', factLink(fact.supersededBy)));
  }
  if (fact.supersedes) {
    notices.push(h('p', { class: 'banner', role: 'note' }, 'This fact corrects ', factLink(fact.supersedes), '.'));
  }
  fill(main,
    h('article', { class: 'fact-page' },
      h('h1', {}, fact.summary),
      notices,
      claimView(fact),
      h('h2', {}, `Citations (${fact.citations.length}) from ${fact.outletCount} outlet${fact.outletCount === 1 ? '' : 's'}`),
      fact.citations.map(citationView),
      h('h2', {}, 'History'),
      historyView(fact.history),
      h('p', { class: 'meta' }, 'Global id ', h('code', {}, fact.id))));
}

// ---------------------------------------------------------------------------------------------
// Recording and editing a fact
// ---------------------------------------------------------------------------------------------

const ROLES = ['SUBJECT', 'OBJECT', 'SPEAKER', 'PARTICIPANT', 'MEDIATOR'];
const MODALITIES = ['OCCURRED', 'STATED', 'INTENDED', 'CONDITIONAL', 'DENIED'];
const PRECISIONS = ['DAY', 'MONTH', 'YEAR'];
const SOURCE_KINDS = ['NEWS_ARTICLE', 'OFFICIAL_STATEMENT', 'TRANSCRIPT', 'INTERVIEW', 'REPORT'];

function options(values, selected, label = (v) => v.toLowerCase().replaceAll('_', ' ')) {
  return values.map((value) => h('option', { value, selected: value === selected }, label(value)));
}

function field(id, label, control, hint) {
  return h('div', { class: 'field', dataset: { field: id } },
    h('label', { for: id }, label), hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null, control,
    h('p', { class: 'field-error', id: `${id}-error`, role: 'alert' }));
}

function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

let comboboxCount = 0;

/** A text box that finds actors by name or alias as one types, as an ARIA combobox. The chosen
 * actor's id is kept in `input.dataset.actorId`. */
function actorPicker(id, label, chosen) {
  const listId = `${id}-options-${(comboboxCount += 1)}`;
  const input = h('input', {
    id, type: 'text', role: 'combobox', autocomplete: 'off', 'aria-autocomplete': 'list', 'aria-expanded': 'false',
    'aria-controls': listId, placeholder: 'Type a name or alias', value: chosen ? chosen.name : '',
  });
  if (chosen) input.dataset.actorId = chosen.id;
  const list = h('ul', { id: listId, role: 'listbox', class: 'options', hidden: true, 'aria-label': `${label} suggestions` });
  let found = [];
  let active = -1;
  const close = () => { list.hidden = true; input.setAttribute('aria-expanded', 'false'); active = -1; input.removeAttribute('aria-activedescendant'); };
  const choose = (actor) => {
    input.value = actor.name;
    input.dataset.actorId = actor.id;
    input.dispatchEvent(new Event('change', { bubbles: true }));
    close();
  };
  const highlight = (index) => {
    active = index;
    [...list.children].forEach((item, i) => item.setAttribute('aria-selected', String(i === index)));
    if (list.children[index]) input.setAttribute('aria-activedescendant', list.children[index].id);
  };
  const search = debounce(async () => {
    const text = input.value.trim();
    if (text.length < 2) { close(); return; }
    try {
      found = (await gql(ACTOR_SEARCH, { search: text })).actors.nodes;
    } catch (error) {
      found = [];
    }
    fill(list, found.length ? found.map((actor, index) => h('li', {
      id: `${listId}-${index}`, role: 'option', 'aria-selected': 'false', onmousedown: (event) => { event.preventDefault(); choose(actor); },
    }, h('strong', {}, actor.name), h('span', { class: 'meta' }, ` ${actor.kind.toLowerCase().replaceAll('_', ' ')}${actor.country ? `, ${actor.country}` : ''}`,
      actor.aliases.length ? ` — also ${actor.aliases.join(', ')}` : ''))) : h('li', { class: 'meta', role: 'option', 'aria-disabled': 'true' }, 'No actor by that name or alias'));
    list.hidden = false;
    input.setAttribute('aria-expanded', 'true');
  }, 200);
  input.addEventListener('input', () => { delete input.dataset.actorId; search(); });
  input.addEventListener('keydown', (event) => {
    if (list.hidden) return;
    if (event.key === 'ArrowDown') { event.preventDefault(); highlight(Math.min(active + 1, found.length - 1)); }
    else if (event.key === 'ArrowUp') { event.preventDefault(); highlight(Math.max(active - 1, 0)); }
    else if (event.key === 'Enter' && active >= 0 && found[active]) { event.preventDefault(); choose(found[active]); }
    else if (event.key === 'Escape') { close(); }
  });
  input.addEventListener('blur', () => setTimeout(close, 150));
  return h('div', { class: 'combobox' }, input, list);
}

async function recordView(factId) {
  if (!requireSignIn()) return;
  const [kindsData, factData] = await Promise.all([gql(KINDS), factId ? gql(EDITABLE_FACT, { id: factId }) : null]);
  const kinds = kindsData.factKinds.filter((kind) => !kind.deprecatedAt);
  const fact = factData ? factData.fact : null;
  if (factId && (!fact || !['DRAFT', 'CHANGES_REQUESTED'].includes(fact.status))) {
    fill(main, h('h1', {}, 'This fact cannot be edited'),
      h('p', {}, fact ? `It is ${fact.status.toLowerCase().replace('_', ' ')}; only drafts and facts sent back can be edited.` : 'It does not exist or is not yours.'));
    return;
  }
  const state = { fact, source: fact && fact.citations[0] ? fact.citations[0].source : null };
  const citation = fact && fact.citations[0];
  const keptCitations = fact ? fact.citations.slice(1) : [];
  let sentQualifiers = [];

  // The kind, and what it allows.
  const kindSelect = h('select', { id: 'kind', required: true },
    h('option', { value: '' }, 'Choose a kind…'),
    kinds.map((kind) => h('option', { value: kind.key, selected: fact && fact.kind.key === kind.key }, `${kind.label} (${kind.key})`)));
  const kindHelp = h('div', { class: 'hint', id: 'kind-help', 'aria-live': 'polite' });
  const qualifierBox = h('fieldset', { class: 'qualifiers-box' }, h('legend', {}, 'Qualifiers'));
  const participantRows = h('div', { class: 'participants-box' });
  const currentKind = () => kinds.find((kind) => kind.key === kindSelect.value);

  const participantRow = (participant) => {
    const index = participantRows.children.length;
    const roles = currentKind() ? currentKind().allowedRoles : ROLES;
    const row = h('div', { class: 'participant', dataset: { path: `participants[${index}]` } },
      field(`participant-${index}-actor`, `Actor ${index + 1}`, actorPicker(`participant-${index}-actor`, `Actor ${index + 1}`, participant && participant.actor)),
      field(`participant-${index}-role`, 'Role', h('select', { id: `participant-${index}-role`, class: 'role' }, options(roles, participant && participant.role))),
      field(`participant-${index}-title`, 'Title at the time', h('input', { id: `participant-${index}-title`, type: 'text', value: (participant && participant.title) || '', placeholder: 'e.g. Defence Minister' })),
      h('button', { type: 'button', class: 'secondary', onclick: () => { row.remove(); } }, 'Remove'));
    participantRows.append(row);
  };

  const renderKind = () => {
    const kind = currentKind();
    // Every value is kept, a key given twice (two facilities) included, across changes of kind.
    const shown = [...qualifierBox.querySelectorAll('input')].map((input) => ({ key: input.dataset.key, value: input.value }));
    const kept = qualifierBox.dataset.rendered ? shown : (fact ? fact.qualifiers : []);
    qualifierBox.dataset.rendered = 'yes';
    fill(qualifierBox, h('legend', {}, 'Qualifiers'));
    if (!kind) {
      fill(kindHelp, 'The kind decides which roles and qualifiers the fact takes.');
      qualifierBox.append(h('p', { class: 'hint' }, 'Choose a kind first.'));
      return;
    }
    fill(kindHelp, kind.description, h('br'), `Roles: ${kind.allowedRoles.map((r) => r.toLowerCase()).join(', ')}.`,
      kind.requiredQualifiers.length ? ` Required qualifiers: ${kind.requiredQualifiers.join(', ')}.` : '');
    if (kind.allowedQualifiers.length === 0) qualifierBox.append(h('p', { class: 'hint' }, 'This kind takes no qualifiers.'));
    kind.allowedQualifiers.forEach((key) => {
      const required = kind.requiredQualifiers.includes(key);
      const values = kept.filter((q) => q.key === key && q.value).map((q) => q.value);
      (values.length ? values : ['']).forEach((value, index) => {
        const id = index === 0 ? `qualifier-${key}` : `qualifier-${key}-${index + 1}`;
        const input = h('input', { id, type: 'text', required, value, dataset: { key } });
        qualifierBox.append(field(id, `${key}${index ? ` (${index + 1})` : ''}${required ? ' (required)' : ''}`, input));
      });
    });
    const dropped = kept.filter((q) => q.value && !kind.allowedQualifiers.includes(q.key));
    if (dropped.length) {
      qualifierBox.append(h('p', { class: 'error' }, `This kind does not take ${dropped.map((q) => q.key).join(', ')}: those values are left out when you save.`));
    }
    for (const select of participantRows.querySelectorAll('select.role')) {
      const value = select.value;
      fill(select, options(kind.allowedRoles, kind.allowedRoles.includes(value) ? value : kind.allowedRoles[0]));
    }
  };
  kindSelect.addEventListener('change', renderKind);

  // The source and the quote, with the quote's place in the snapshot shown as one types.
  const sourceUrl = h('input', { id: 'source-url', type: 'url', inputmode: 'url', value: state.source ? state.source.url : '', placeholder: 'The document’s address' });
  const findSource = h('button', { type: 'button', id: 'source-find', class: 'secondary' }, 'Find source');
  const sourceStatus = h('p', { class: 'hint', id: 'source-status', 'aria-live': 'polite' });
  const newSource = h('div', { class: 'new-source', hidden: true },
    field('source-title', 'Title', h('input', { id: 'source-title', type: 'text' })),
    field('source-outlet', 'Outlet (who published it)', actorPicker('source-outlet', 'Outlet', null)),
    field('source-kind', 'Kind of document', h('select', { id: 'source-kind' }, options(SOURCE_KINDS, 'NEWS_ARTICLE'))),
    field('source-published', 'Published on', h('input', { id: 'source-published', type: 'date' })),
    field('source-snapshot', 'Text snapshot', h('textarea', { id: 'source-snapshot', rows: 8 }), 'Paste the document’s text: quotes are verified against it.'));
  const quote = h('textarea', { id: 'quote', rows: 3, 'aria-describedby': 'quote-status' }, citation ? citation.quote : '');
  const quoteStatus = h('p', { id: 'quote-status', class: 'quote-status', 'aria-live': 'polite' });
  const preview = h('div', { id: 'quote-preview', class: 'snapshot', tabindex: '0', 'aria-label': 'The snapshot, with the quote marked' });
  const attribution = h('select', { id: 'attribution' }, options(['DIRECT', 'RELAYED'], citation ? citation.attribution : 'DIRECT'));

  const snapshotText = () => (state.source && state.source.hasSnapshot ? state.source.snapshot : newSource.hidden ? '' : document.getElementById('source-snapshot').value);

  const showQuote = () => {
    const snapshot = snapshotText();
    const text = quote.value;
    quote.removeAttribute('aria-invalid');
    quoteStatus.className = 'quote-status';
    if (!snapshot) {
      fill(quoteStatus, state.source ? 'This source has no snapshot: the quote cannot be verified.' : 'Find or add the source to check the quote.');
      fill(preview);
      preview.hidden = true;
      return;
    }
    preview.hidden = false;
    const location = text.trim() ? locateQuote(snapshot, text) : null;
    if (location) {
      quoteStatus.classList.add('found');
      fill(quoteStatus, `Found in the snapshot at characters ${location.start}–${location.end}.`);
      const parts = quoteParts(snapshot, location, 400);
      fill(preview, parts.before, h('mark', {}, parts.quote), parts.after);
      const mark = preview.querySelector('mark');
      if (mark) preview.scrollTop = Math.max(0, mark.offsetTop - preview.offsetTop - 40);
    } else {
      fill(preview, snapshot.length > 4000 ? `${Array.from(snapshot).slice(0, 4000).join('')}…` : snapshot);
      if (text.trim()) {
        quote.setAttribute('aria-invalid', 'true');
        quoteStatus.classList.add('missing');
        fill(quoteStatus, 'Not in the snapshot: the quote must appear there word for word (quote marks, dashes and spacing may differ).');
      } else {
        fill(quoteStatus, 'Write or paste the quote: its place in the snapshot is shown below.');
      }
    }
  };
  quote.addEventListener('input', debounce(showQuote, 120));
  newSource.addEventListener('input', debounce(showQuote, 200));

  const lookUpSource = async () => {
    const url = sourceUrl.value.trim();
    if (!url) { fill(sourceStatus, 'Enter the document’s URL.'); return; }
    fill(sourceStatus, 'Looking for the source…');
    try {
      const found = (await gql(SOURCE_BY_URL, { url })).sourceByUrl;
      state.source = found;
      newSource.hidden = !!found;
      fill(sourceStatus, found
        ? `Found: “${found.title}”${found.outlet ? ` (${found.outlet.name})` : ''}${found.hasSnapshot ? ', with a text snapshot.' : ', without a snapshot.'}`
        : 'Not stored yet: describe it below and paste its text; it is created when you save.');
    } catch (error) {
      state.source = null;
      fill(sourceStatus, error.message);
    }
    showQuote();
  };
  findSource.addEventListener('click', lookUpSource);
  sourceUrl.addEventListener('change', lookUpSource);

  const summary = h('textarea', { id: 'summary', rows: 2, maxlength: 500 }, fact ? fact.summary : '');
  const occurredOn = h('input', { id: 'occurredOn', type: 'date', value: fact ? fact.occurred.date : '' });
  const occurredUntil = h('input', { id: 'occurredUntil', type: 'date', value: fact && fact.occurredUntil ? fact.occurredUntil.date : '' });
  const precision = h('select', { id: 'occurredPrecision' }, options(PRECISIONS, fact ? fact.occurred.precision : 'DAY'));
  const modality = h('select', { id: 'modality' }, options(MODALITIES, fact ? fact.modality : 'OCCURRED'));
  const country = h('input', { id: 'country', type: 'text', maxlength: 2, value: (fact && fact.country) || '', placeholder: 'e.g. SY', autocapitalize: 'characters' });
  const reviewerNote = h('textarea', { id: 'submit-comment', rows: 2 });
  const formErrors = h('div', { id: 'form-errors', role: 'alert' });

  const form = h('form', { class: 'record', novalidate: true, 'aria-labelledby': 'record-title' },
    h('h1', { id: 'record-title' }, fact ? 'Edit the fact' : 'Record a fact'),
    fact && fact.status === 'CHANGES_REQUESTED' ? sentBackNote(fact) : null,
    formErrors,
    h('section', {}, h('h2', {}, 'The claim'),
      field('kind', 'Kind', kindSelect), kindHelp,
      h('fieldset', {}, h('legend', {}, 'Participants'), participantRows,
        h('button', { type: 'button', class: 'secondary', id: 'add-participant', onclick: () => participantRow(null) }, 'Add a participant')),
      qualifierBox,
      field('summary', 'Summary', summary, 'One neutral sentence.'),
      h('div', { class: 'row' }, field('occurredOn', 'Date', occurredOn), field('occurredPrecision', 'Precision', precision)),
      field('occurredUntil', 'Until (for a period; optional)', occurredUntil),
      h('div', { class: 'row' }, field('modality', 'Modality', modality), field('country', 'Country (ISO code)', country))),
    h('section', {}, h('h2', {}, 'The evidence'),
      h('div', { class: 'row end' }, field('source-url', 'Source URL', sourceUrl), findSource), sourceStatus, newSource,
      field('quote', 'Quote, word for word', quote), quoteStatus,
      h('h3', {}, 'Where the quote sits in the snapshot'), preview,
      field('attribution', 'Attribution', attribution, 'Direct: the source says it itself. Relayed: it reports another’s report.'),
      keptCitations.length ? h('section', { 'aria-label': 'Other citations' }, h('h3', {}, `Other citations (${keptCitations.length}), kept as they are`), keptCitations.map(citationView)) : null),
    h('section', {}, field('submit-comment', 'Note for the reviewer (when submitting)', reviewerNote)),
    h('div', { class: 'actions' },
      h('button', { type: 'submit', id: 'save-draft', value: 'save' }, 'Save draft'),
      h('button', { type: 'submit', id: 'submit', value: 'submit' }, 'Save and submit for review')));

  const input = () => {
    const kind = currentKind();
    const participants = [...participantRows.querySelectorAll('.participant')].map((row) => {
      const picker = row.querySelector('input[role=combobox]');
      return { actor: picker.dataset.actorId || picker.value.trim(), role: row.querySelector('select.role').value, title: row.querySelector('input[id$=-title]').value.trim() || null };
    });
    const qualifiers = kind ? [...qualifierBox.querySelectorAll('input')].filter((i) => i.value.trim()).map((i) => ({ key: i.dataset.key, value: i.value.trim() })) : [];
    // The form edits the first citation; the others are sent back as they were, so none is lost.
    const edited = citation || {};
    const citations = quote.value.trim() && state.source ? [{
      source: state.source.id, quote: quote.value.trim(), attribution: attribution.value,
      attributedTo: edited.attributedTo ? edited.attributedTo.id : null, relayedFrom: attribution.value === 'RELAYED' && edited.relayedFrom ? edited.relayedFrom.id : null,
    }] : [];
    for (const other of keptCitations) {
      citations.push({ source: other.source.id, quote: other.quote, attribution: other.attribution, attributedTo: other.attributedTo ? other.attributedTo.id : null, relayedFrom: other.relayedFrom ? other.relayedFrom.id : null });
    }
    sentQualifiers = kind ? [...qualifierBox.querySelectorAll('input')].filter((i) => i.value.trim()) : [];
    return {
      kind: kindSelect.value, summary: summary.value.trim(), modality: modality.value,
      occurredOn: occurredOn.value, occurredPrecision: precision.value, occurredUntil: occurredUntil.value || null, country: country.value.trim().toUpperCase() || null,
      participants, qualifiers, citations,
    };
  };

  // Paths the server names (`citations[0].quote`, `participants[1].role`, `source.title`) shown at
  // the controls they concern; any other at the top of the form.
  const controlFor = (path) => {
    const direct = { 'citations[0].quote': 'quote', 'citations[0].source': 'source-url', 'citations[0].attribution': 'attribution', 'citations': 'quote', 'participants': 'add-participant', 'source.url': 'source-url', 'source.title': 'source-title', 'source.outlet': 'source-outlet', 'source.snapshot': 'source-snapshot', 'source.publishedOn': 'source-published', 'source.kind': 'source-kind' }[path];
    if (direct) return document.getElementById(direct);
    const participant = path.match(/^participants\[(\d+)\]\.?(\w+)?/);
    if (participant) return document.getElementById(`participant-${participant[1]}-${participant[2] || 'actor'}`);
    const qualifier = path.match(/^qualifiers\[(\d+)\]/);
    if (qualifier && sentQualifiers[Number(qualifier[1])]) return sentQualifiers[Number(qualifier[1])];
    if (path.startsWith('qualifiers')) return qualifierBox.querySelector('input') || kindSelect;
    const other = path.match(/^citations\[(\d+)\]/);
    if (other && Number(other[1]) > 0) return null;
    return document.getElementById(path.replace(/\[.*$/, ''));
  };
  const clearErrors = () => {
    fill(formErrors);
    for (const problem of form.querySelectorAll('.field-error')) fill(problem);
    for (const control of form.querySelectorAll('[aria-invalid=true]:not(#quote)')) control.removeAttribute('aria-invalid');
  };
  const showErrors = (error, prefix = '') => {
    const unplaced = [];
    for (const problem of error.fields || []) {
      const path = prefix + problem.path;
      const control = controlFor(path);
      const slot = control && document.getElementById(`${control.id}-error`);
      if (slot) {
        slot.append(h('span', { dataset: { path } }, problem.message), ' ');
        control.setAttribute('aria-invalid', 'true');
        control.setAttribute('aria-errormessage', slot.id);
      } else {
        unplaced.push(h('li', {}, h('code', {}, path), ': ', problem.message));
      }
    }
    fill(formErrors, h('p', { class: 'error' }, h('strong', {}, error.code), ': ', error.fields && error.fields.length ? 'the fields marked below need attention.' : error.message),
      unplaced.length ? h('ul', {}, unplaced) : null);
    const first = form.querySelector('[aria-invalid=true]');
    (first || formErrors).scrollIntoView({ block: 'center' });
    if (first) first.focus({ preventScroll: true });
  };

  const createSourceIfNew = async () => {
    if (state.source || newSource.hidden || !sourceUrl.value.trim()) return true;
    const published = document.getElementById('source-published').value;
    try {
      const data = await gql(CREATE_SOURCE, { input: {
        url: sourceUrl.value.trim(), title: document.getElementById('source-title').value.trim(), kind: document.getElementById('source-kind').value,
        outlet: document.getElementById('source-outlet').dataset.actorId || null,
        publishedOn: published || null, publishedPrecision: published ? 'DAY' : null, snapshot: document.getElementById('source-snapshot').value || null,
        idempotencyKey: `desk-source-${crypto.randomUUID()}`,
      } });
      state.source = data.createSource.source;
      newSource.hidden = true;
      fill(sourceStatus, `Source stored: “${state.source.title}”.`);
      return true;
    } catch (error) {
      showErrors(error, 'source.');
      return false;
    }
  };

  let busy = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (busy) return;
    const submitting = event.submitter && event.submitter.value === 'submit';
    busy = true;
    clearErrors();
    try {
      if (!(await createSourceIfNew())) return;
      const content = input();
      let saved;
      if (state.fact) {
        saved = (await gql(UPDATE_FACT, { input: { id: state.fact.id, expectedVersion: state.fact.version, ...content } })).updateFact.fact;
      } else {
        saved = (await gql(CREATE_FACT, { input: { ...content, idempotencyKey: `desk-fact-${crypto.randomUUID()}` } })).createFact.fact;
        history.replaceState(null, '', `/desk/record/${encodeURIComponent(saved.id)}`);
      }
      state.fact = { ...(state.fact || {}), ...saved };
      if (submitting) {
        const submitted = (await gql(SUBMIT_FACT, { input: { id: saved.id, expectedVersion: saved.version, comment: reviewerNote.value.trim() || null } })).submitFact.fact;
        state.fact = { ...state.fact, ...submitted };
        navigate('/desk/work');
        showNotice('Submitted for review.', 'success');
      } else {
        showNotice(`Draft saved (version ${saved.version}).`, 'success');
        fill(formErrors);
      }
    } catch (error) {
      if (error.code === 'CONFLICT') {
        fill(formErrors, errorText(error), h('p', {}, 'Someone changed this fact since you opened it. Copy your changes, then ', h('a', { href: location.pathname }, 'reload it'), '.'));
      } else {
        showErrors(error);
      }
    } finally {
      busy = false;
    }
  });

  fill(main, form);
  if (fact) fact.participants.forEach(participantRow);
  else { participantRow(null); participantRow(null); }
  renderKind();
  if (state.source) {
    fill(sourceStatus, `Source: “${state.source.title}”.`);
  }
  showQuote();
}

function sentBackNote(fact) {
  const sentBack = [...fact.history].reverse().find((revision) => revision.action === 'CHANGES_REQUESTED');
  return h('div', { class: 'banner', role: 'note' }, h('strong', {}, 'Sent back by the reviewer'),
    sentBack && sentBack.comment ? `: “${sentBack.comment}”` : '.');
}

// ---------------------------------------------------------------------------------------------
// My work
// ---------------------------------------------------------------------------------------------

async function workView() {
  if (!requireSignIn()) return;
  const facts = (await gql(MY_FACTS)).myFacts.nodes;
  const group = (title, statuses, render) => {
    const items = facts.filter((fact) => statuses.includes(fact.status));
    return h('section', { class: 'group', 'aria-label': title },
      h('h2', {}, `${title} (${items.length})`),
      items.length ? h('ul', { class: 'cards' }, items.map((fact) => h('li', { class: 'card' }, render(fact)))) : h('p', { class: 'meta' }, 'None.'));
  };
  const heading = (fact) => [h('h3', {}, fact.summary), claimView(fact)];
  fill(main,
    h('h1', {}, 'My work'),
    h('p', {}, h('a', { href: '/desk/record', class: 'button' }, 'Record a fact')),
    group('Sent back to me', ['CHANGES_REQUESTED'], (fact) => [heading(fact), sentBackNote(fact),
      changesView(fact.changesSinceLastReview, 'Changed since the last review'),
      h('a', { href: `/desk/record/${encodeURIComponent(fact.id)}`, class: 'button' }, 'Edit and resubmit')]),
    group('Drafts', ['DRAFT'], (fact) => [heading(fact),
      h('a', { href: `/desk/record/${encodeURIComponent(fact.id)}`, class: 'button' }, 'Edit, then submit')]),
    group('In review', ['IN_REVIEW'], (fact) => [heading(fact), h('p', { class: 'meta' }, `Submitted; last change ${formatTime(fact.updatedAt)}.`)]),
    group('Published and closed', ['PUBLISHED', 'RETRACTED', 'SUPERSEDED', 'REJECTED'], (fact) => [heading(fact),
      fact.status === 'REJECTED' ? sentBackNote(fact) : factLink(fact, 'Public page')]));
}

// ---------------------------------------------------------------------------------------------
// The review queue
// ---------------------------------------------------------------------------------------------

async function reviewView() {
  if (!requireSignIn()) return;
  const data = await gql(REVIEW_QUEUE);
  if (data.viewer.role === 'EDITOR') {
    fill(main, h('h1', {}, 'Review queue'), h('p', {}, 'Only reviewers and admins review facts.'));
    return;
  }
  const mine = new Set(data.mine.nodes.map((fact) => fact.id));
  const items = data.reviewQueue.nodes;
  fill(main,
    h('h1', {}, `Review queue (${data.reviewQueue.totalCount})`),
    data.reviewQueue.totalCount > items.length ? h('p', { class: 'meta' }, `The ${items.length} longest waiting are shown; decide on them to see the rest.`) : null,
    items.length ? h('ol', { class: 'queue' }, items.map((item) => h('li', { class: 'card' },
      item.__typename === 'Fact' ? reviewFactCard(item, mine.has(item.id)) : reviewCitationCard(item)))) : h('p', {}, 'Nothing is waiting for a decision.'));
}

function decisionForm(idPrefix, decisions, ownReason, decide) {
  const comment = h('textarea', { id: `${idPrefix}-comment`, rows: 2 });
  const problem = h('p', { class: 'error', role: 'alert', id: `${idPrefix}-error` });
  const buttons = decisions.map(([decision, label, needsComment]) => h('button', {
    type: 'button', class: decision === 'APPROVE' ? 'approve' : 'secondary', dataset: { decision },
    disabled: decision === 'APPROVE' && ownReason ? true : null,
    'aria-describedby': decision === 'APPROVE' && ownReason ? `${idPrefix}-own` : null,
    onclick: async () => {
      fill(problem);
      if (needsComment && !comment.value.trim()) {
        fill(problem, 'A comment is required to send back or reject.');
        comment.setAttribute('aria-invalid', 'true');
        comment.focus();
        return;
      }
      try {
        await decide(decision, comment.value.trim() || null);
      } catch (error) {
        fill(problem, h('strong', {}, error.code), ': ', error.message);
      }
    },
  }, label));
  return h('div', { class: 'decision' },
    ownReason ? h('p', { class: 'banner', id: `${idPrefix}-own` }, ownReason) : null,
    h('label', { for: `${idPrefix}-comment` }, 'Comment for the author'), comment, problem,
    h('div', { class: 'actions' }, buttons));
}

function reviewFactCard(fact, own) {
  const resubmitted = fact.history.some((revision) => ['CHANGES_REQUESTED'].includes(revision.action));
  const prefix = `review-${fact.id}`;
  const submittedNote = [...fact.history].reverse().find((revision) => revision.action === 'SUBMITTED');
  return h('article', { class: 'review-item', dataset: { fact: fact.id } },
    h('h2', {}, fact.summary),
    claimView(fact),
    fact.supersedes ? h('p', { class: 'banner' }, 'A correction of ', factLink(fact.supersedes), ': only what it changes is listed.') : null,
    submittedNote && submittedNote.comment ? h('p', { class: 'meta' }, `Author’s note: “${submittedNote.comment}”`) : null,
    (resubmitted || fact.supersedes) ? changesView(fact.changesSinceLastReview, fact.supersedes ? 'What the correction changes' : 'Changed since the last review') : null,
    h('h3', {}, `Citations (${fact.citations.length}) · ${fact.outletCount} outlet${fact.outletCount === 1 ? '' : 's'}`),
    fact.citations.map(citationView),
    decisionForm(prefix, [['APPROVE', 'Approve and publish'], ['REQUEST_CHANGES', 'Request changes', true], ['REJECT', 'Reject', true]],
      own ? 'You wrote this fact: nobody approves their own work, so another reviewer must decide.' : null,
      async (decision, comment) => {
        await gql(REVIEW_FACT, { input: { id: fact.id, expectedVersion: fact.version, decision, comment } });
        await reviewView();
        showNotice({ APPROVE: 'Approved: the fact is published.', REQUEST_CHANGES: 'Sent back to its author.', REJECT: 'Rejected.' }[decision], 'success');
      }));
}

function reviewCitationCard(citation) {
  const prefix = `review-${citation.id}`;
  return h('article', { class: 'review-item', dataset: { citation: citation.id } },
    h('h2', {}, 'Further evidence for ', citation.fact ? factLink(citation.fact) : 'a fact'),
    h('p', { class: 'meta' }, statusBadge('PENDING'), ` proposed ${formatTime(citation.proposedAt)}`, citation.fact ? ` · the fact has ${citation.fact.outletCount} outlet(s) so far` : ''),
    citationView(citation),
    decisionForm(prefix, [['APPROVE', 'Approve the citation'], ['REJECT', 'Reject', true]], null,
      async (decision, comment) => {
        await gql(REVIEW_CITATION, { input: { citationId: citation.id, decision, comment } });
        await reviewView();
        showNotice(decision === 'APPROVE' ? 'Citation approved: it is public evidence of the fact.' : 'Citation rejected.', 'success');
      }));
}

route();
