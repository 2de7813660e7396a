// Building blocks of the desk's screens. Everything is built as DOM nodes (never from HTML
// strings), so no text from the server or the user can become markup.

/** An element: `h('a', { href, class: 'x' }, 'text', child, …)`. Attributes that are `false`,
 * `null` or `undefined` are left out; `on*` functions become event listeners. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (name === 'dataset') {
      Object.assign(element.dataset, value);
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces `element`'s content. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

const STATUS_LABELS = {
  DRAFT: 'Draft',
  IN_REVIEW: 'In review',
  CHANGES_REQUESTED: 'Changes requested',
  PUBLISHED: 'Published',
  REJECTED: 'Rejected',
  RETRACTED: 'Retracted',
  SUPERSEDED: 'Superseded',
  PENDING: 'Pending',
  ACTIVE: 'Active',
  WITHDRAWN: 'Withdrawn',
};

export function statusBadge(status) {
  return h('span', { class: `badge status-${status.toLowerCase().replace('_', '-')}` }, STATUS_LABELS[status] || status);
}

export function factLink(fact, text) {
  return h('a', { href: `/desk/facts/${encodeURIComponent(fact.id)}` }, text || fact.summary);
}

/** The quote inside the text around it, the quote marked. `context` is `{ before, quote, after }`. */
export function quoteInContext(context, label) {
  // The server cuts the text at `CONTEXT_CHARS` on either side; say where it did.
  const cut = (text) => Array.from(text).length >= CONTEXT_CHARS;
  return h('blockquote', { class: 'context', 'aria-label': label || 'The quote in its source' },
    cut(context.before) ? '…' : '', context.before, h('mark', {}, context.quote), context.after, cut(context.after) ? '…' : '');
}

/** How much of a snapshot the desk asks for on either side of a quote (`quoteInContext(chars:)`). */
export const CONTEXT_CHARS = 240;

export function formatTime(iso) {
  if (!iso) return '';
  const at = new Date(iso);
  return `${at.toISOString().slice(0, 10)} ${at.toISOString().slice(11, 16)} UTC`;
}

/** One citation: the quote in its snapshot (or alone, marked unverified), the source and outlet. */
export function citationView(citation) {
  const source = citation.source;
  const where = [
    h('a', { href: source.url, rel: 'noopener noreferrer', target: '_blank' }, source.title || source.url),
    source.outlet ? ` — ${source.outlet.name}` : '',
    source.published ? `, ${source.published.text}` : '',
  ];
  const who = [];
  if (citation.attributedTo) who.push(`words of ${citation.attributedTo.name}`);
  if (citation.attribution === 'RELAYED') who.push(`relayed from ${citation.relayedFrom ? citation.relayedFrom.name : 'another report'}`);
  return h('article', { class: 'citation' },
    citation.quoteInContext
      ? quoteInContext(citation.quoteInContext)
      : h('blockquote', { class: 'context' }, h('mark', { class: 'unverified' }, citation.quote)),
    h('p', { class: 'meta' },
      citation.verified ? h('span', { class: 'badge verified' }, 'Verified in the snapshot')
        : h('span', { class: 'badge unverified' }, 'Not verified against a snapshot'),
      ' ', who.join('; '), who.length ? ' · ' : '', where),
    citation.status && citation.status !== 'ACTIVE' ? h('p', { class: 'meta' }, statusBadge(citation.status), ' ', citation.statusReason || '') : null);
}

function pretty(json) {
  if (json === null || json === undefined) return '—';
  try {
    const value = JSON.parse(json);
    return typeof value === 'string' ? value : JSON.stringify(value, null, 1);
  } catch (_) {
    return json;
  }
}

/** What changed between two versions, field by field. */
export function changesView(changes, title) {
  if (!changes || changes.length === 0) return h('p', { class: 'meta' }, 'Nothing changed since the last review.');
  return h('section', { class: 'changes', 'aria-label': title },
    h('h4', {}, title),
    h('dl', {}, changes.map((change) => [
      h('dt', {}, change.field),
      h('dd', {}, h('del', { 'aria-label': 'before' }, pretty(change.before)), h('ins', { 'aria-label': 'after' }, pretty(change.after))),
    ])));
}

/** The facts' parts every screen shows: kind, date, modality, participants, qualifiers. */
export function claimView(fact) {
  return h('div', { class: 'claim' },
    h('p', { class: 'meta' }, statusBadge(fact.status), ' ', fact.kind.label, ' · ', fact.occurred.text,
      fact.occurredUntil ? ` – ${fact.occurredUntil.text}` : '', ' · ', fact.modality.toLowerCase(),
      fact.country ? ` · ${fact.country}` : '', ` · version ${fact.version}`),
    h('ul', { class: 'participants', 'aria-label': 'Participants' }, fact.participants.map((p) =>
      h('li', {}, h('strong', {}, p.actor.name), ` ${p.role.toLowerCase()}`, p.title ? ` (${p.title})` : ''))),
    fact.qualifiers.length ? h('dl', { class: 'qualifiers' }, fact.qualifiers.map((q) => [h('dt', {}, q.key), h('dd', {}, q.value)])) : null);
}

export function historyView(history) {
  return h('ol', { class: 'history' }, history.map((revision) =>
    h('li', {}, h('span', { class: 'meta' }, formatTime(revision.at)), ` v${revision.version} `,
      revision.action.toLowerCase().replaceAll('_', ' '), revision.comment ? ` — “${revision.comment}”` : '')));
}
