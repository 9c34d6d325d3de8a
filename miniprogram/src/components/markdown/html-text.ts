// Turns an HTML fragment (question text imported from Moodle or GIFT files) into plain text, so
// that it can be shown with Taro Text and never injected as HTML. Block-level tags become line
// breaks, list items get a bullet, other tags are dropped and character references are decoded.

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  ldquo: '“',
  rdquo: '”',
  lsquo: '‘',
  rsquo: '’',
  middot: '·',
  times: '×',
  divide: '÷',
  le: '≤',
  ge: '≥',
  ne: '≠',
};

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (reference, name: string) => {
    if (name.startsWith('#')) {
      const code =
        name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : Number(name.slice(1));
      const valid = Number.isInteger(code) && code > 0 && code <= 0x10ffff;
      return valid ? String.fromCodePoint(code) : reference;
    }
    return NAMED_ENTITIES[name] ?? reference;
  });
}

/** Returns the readable text of an HTML fragment. */
export function htmlToText(html: string): string {
  const text = html
    .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, '')
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<li\b[^>]*>/gi, '\n• ')
    .replace(/<\/?(p|div|ul|ol|li|h[1-6]|tr|table|blockquote|pre)\b[^>]*>/gi, '\n')
    .replace(/<\/?[A-Za-z][^<>]*>/g, '');
  return decodeEntities(text)
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
