// Where a quote sits in a snapshot, found the way the server verifies it
// (api/src/domain/fact/quotes.rs): white space collapsed, curly quote marks made straight,
// dashes made hyphens; offsets count Unicode code points, as the server's do.

function normalizeChar(c) {
  if ('\u2018\u2019\u201A\u201B\u2032`\u00B4'.includes(c)) return "'";
  if ('\u201C\u201D\u201E\u201F\u2033\u00AB\u00BB'.includes(c)) return '"';
  if ('\u2010\u2011\u2012\u2013\u2014\u2015\u2212'.includes(c)) return '-';
  if (/\s/u.test(c)) return ' ';
  return c;
}

function normalizeWithPositions(chars) {
  const out = [];
  const positions = [];
  let previousWasSpace = true;
  chars.forEach((original, index) => {
    const c = normalizeChar(original);
    if (c === ' ') {
      if (previousWasSpace) return;
      previousWasSpace = true;
    } else {
      previousWasSpace = false;
    }
    out.push(c);
    positions.push(index);
  });
  if (out[out.length - 1] === ' ') {
    out.pop();
    positions.pop();
  }
  return { text: out.join(''), positions, count: out.length };
}

/** `{ start, end }` (code points, end exclusive) of `quote` in `snapshot`, or null. */
export function locateQuote(snapshot, quote) {
  const needle = normalizeWithPositions(Array.from(quote || ''));
  if (needle.count === 0 || !snapshot) return null;
  const haystackChars = Array.from(snapshot);
  const haystack = normalizeWithPositions(haystackChars);
  // Both normalized strings hold one UTF-16 unit or a pair per code point; search code points.
  const hay = Array.from(haystack.text);
  const need = Array.from(needle.text);
  outer: for (let i = 0; i + need.length <= hay.length; i += 1) {
    for (let j = 0; j < need.length; j += 1) {
      if (hay[i + j] !== need[j]) continue outer;
    }
    return { start: haystack.positions[i], end: haystack.positions[i + need.length - 1] + 1 };
  }
  return null;
}

/** The snapshot cut into the text before, the quote and the text after, with at most
 * `context` code points on either side (`…` where cut). */
export function quoteParts(snapshot, location, context = Infinity) {
  const chars = Array.from(snapshot);
  const from = Math.max(0, location.start - context);
  const to = Math.min(chars.length, location.end + context);
  return {
    before: (from > 0 ? '…' : '') + chars.slice(from, location.start).join(''),
    quote: chars.slice(location.start, location.end).join(''),
    after: chars.slice(location.end, to).join('') + (to < chars.length ? '…' : ''),
  };
}
