// A small Markdown reader for lesson articles. It turns the text into plain data (blocks of inline
// runs) that the Markdown component renders with Taro View and Text, so no HTML from the content
// ever reaches the page. It covers what course articles use: ATX headings, paragraphs, bullet and
// numbered lists, fenced code, block quotes, pipe tables, rules, emphasis, inline code, links,
// autolinks and images. Raw HTML tags are dropped and the text between them kept.
//
// Written by hand instead of using a Markdown library: marked 18.3 (the usual choice) uses regular
// expressions with lookbehind, which iOS JavaScriptCore before 16.4 (the engine of the
// mini-program on those phones) rejects at load time. No regular expression here uses lookbehind.

export type Inline =
  | { type: 'text'; text: string }
  | { type: 'strong'; children: Inline[] }
  | { type: 'em'; children: Inline[] }
  | { type: 'code'; text: string }
  | { type: 'link'; text: string; url: string }
  | { type: 'image'; alt: string; url: string };

export interface ListItem {
  /** Nesting level, 0 for top-level items. */
  depth: number;
  /** Bullet or number to show, such as `•` or `3.`. */
  marker: string;
  content: Inline[];
}

export type Block =
  | { type: 'heading'; level: number; content: Inline[] }
  | { type: 'paragraph'; content: Inline[] }
  | { type: 'list'; items: ListItem[] }
  | { type: 'code'; language: string; text: string }
  | { type: 'quote'; blocks: Block[] }
  | { type: 'table'; header: Inline[][]; rows: Inline[][][] }
  | { type: 'rule' };

const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})[ \t]*([^`\s]*)/;
const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const LIST_ITEM = /^([ \t]*)([-*+]|\d{1,9}[.)])[ \t]+(.*)$/;
const TABLE_SEPARATOR = /^ *\|?(?: *:?-+:? *\|)+(?: *:?-+:? *)?$/;
/** Admonition openers of MkDocs (`!!! note "标题"`), shown as their title. */
const ADMONITION = /^ {0,3}[!?]{3}\+?[ \t]+\w+(?:[ \t]+"(.*)")?[ \t]*$/;

const INLINE_TOKEN = new RegExp(
  [
    '`([^`]+)`', // 1 inline code
    '!\\[([^\\]]*)\\]\\(([^()\\s]+)(?:\\s+"[^"]*")?\\)', // 2, 3 image
    '\\[([^\\]]+)\\]\\(([^()\\s]+)(?:\\s+"[^"]*")?\\)', // 4, 5 link
    '<((?:https?|mailto):[^<>\\s]+)>', // 6 autolink
    '\\*\\*(.+?)\\*\\*', // 7 strong
    '__(.+?)__', // 8 strong
    '\\*([^*\\s](?:[^*]*[^*\\s])?)\\*', // 9 emphasis
    '</?[A-Za-z][^<>]*>', // raw HTML tag, dropped
  ].join('|'),
  'g',
);

function unescapeText(text: string): string {
  return text.replace(/\\([\\`*_{}[\]()#+\-.!|<>~])/g, '$1');
}

function pushText(runs: Inline[], text: string): void {
  if (text === '') return;
  const last = runs[runs.length - 1];
  if (last && last.type === 'text') {
    last.text += text;
  } else {
    runs.push({ type: 'text', text });
  }
}

/** Parses emphasis, code, links and images inside one block of text. */
export function parseInline(source: string): Inline[] {
  const runs: Inline[] = [];
  const pattern = new RegExp(INLINE_TOKEN.source, 'g');
  let cursor = 0;
  for (let match = pattern.exec(source); match; match = pattern.exec(source)) {
    pushText(runs, unescapeText(source.slice(cursor, match.index)));
    cursor = match.index + match[0].length;
    const [, code, imageAlt, imageUrl, linkText, linkUrl, autolink, strong1, strong2, emphasis] =
      match;
    if (code !== undefined) {
      runs.push({ type: 'code', text: code });
    } else if (imageUrl !== undefined) {
      runs.push({ type: 'image', alt: imageAlt ?? '', url: imageUrl });
    } else if (linkUrl !== undefined && linkText !== undefined) {
      runs.push({ type: 'link', text: plainText(parseInline(linkText)), url: linkUrl });
    } else if (autolink !== undefined) {
      runs.push({ type: 'link', text: autolink.replace(/^mailto:/, ''), url: autolink });
    } else if (strong1 !== undefined || strong2 !== undefined) {
      runs.push({ type: 'strong', children: parseInline(strong1 ?? strong2 ?? '') });
    } else if (emphasis !== undefined) {
      runs.push({ type: 'em', children: parseInline(emphasis) });
    }
    // Anything else matched is a raw HTML tag, which is dropped.
  }
  pushText(runs, unescapeText(source.slice(cursor)));
  return runs;
}

/** Returns the text of inline runs without formatting (image runs give their alt text). */
export function plainText(runs: Inline[]): string {
  return runs
    .map((run) => {
      switch (run.type) {
        case 'text':
        case 'code':
        case 'link':
          return run.text;
        case 'image':
          return run.alt;
        case 'strong':
        case 'em':
          return plainText(run.children);
      }
    })
    .join('');
}

function splitTableRow(line: string): string[] {
  let row = line.trim();
  if (row.startsWith('|')) row = row.slice(1);
  if (row.endsWith('|') && !row.endsWith('\\|')) row = row.slice(0, -1);
  const cells: string[] = [];
  let current = '';
  for (let i = 0; i < row.length; i += 1) {
    const char = row[i];
    if (char === '\\' && row[i + 1] === '|') {
      current += '|';
      i += 1;
    } else if (char === '|') {
      cells.push(current.trim());
      current = '';
    } else {
      current += char;
    }
  }
  cells.push(current.trim());
  return cells;
}

function indentWidth(indent: string): number {
  let width = 0;
  for (const char of indent) width += char === '\t' ? 4 : 1;
  return width;
}

function isBlank(line: string): boolean {
  return line.trim() === '';
}

/** True when the line starts a block other than a paragraph, which ends a running paragraph. */
function startsBlock(line: string, nextLine: string | undefined): boolean {
  return (
    HEADING.test(line) ||
    FENCE.test(line) ||
    RULE.test(line) ||
    QUOTE.test(line) ||
    LIST_ITEM.test(line) ||
    ADMONITION.test(line) ||
    (line.includes('|') && nextLine !== undefined && TABLE_SEPARATOR.test(nextLine))
  );
}

/** Parses lines into blocks; used for the whole document and for the inside of block quotes. */
function parseLines(lines: string[]): Block[] {
  const blocks: Block[] = [];
  let i = 0;

  while (i < lines.length) {
    const line = lines[i] ?? '';
    const nextLine = lines[i + 1];

    if (isBlank(line)) {
      i += 1;
      continue;
    }

    const fence = FENCE.exec(line);
    if (fence) {
      const marker = fence[1] ?? '```';
      const body: string[] = [];
      i += 1;
      while (i < lines.length && !(lines[i] ?? '').trim().startsWith(marker)) {
        body.push(lines[i] ?? '');
        i += 1;
      }
      i += 1; // closing fence, or past the end when the fence is never closed
      blocks.push({ type: 'code', language: fence[2] ?? '', text: body.join('\n') });
      continue;
    }

    const heading = HEADING.exec(line);
    if (heading) {
      const level = (heading[1] ?? '#').length;
      blocks.push({ type: 'heading', level, content: parseInline(heading[2] ?? '') });
      i += 1;
      continue;
    }

    if (RULE.test(line)) {
      blocks.push({ type: 'rule' });
      i += 1;
      continue;
    }

    if (QUOTE.test(line)) {
      const inner: string[] = [];
      while (i < lines.length && QUOTE.test(lines[i] ?? '')) {
        inner.push(QUOTE.exec(lines[i] ?? '')?.[1] ?? '');
        i += 1;
      }
      blocks.push({ type: 'quote', blocks: parseLines(inner) });
      continue;
    }

    if (line.includes('|') && nextLine !== undefined && TABLE_SEPARATOR.test(nextLine)) {
      const header = splitTableRow(line).map((cell) => parseInline(cell));
      const rows: Inline[][][] = [];
      i += 2;
      while (i < lines.length && !isBlank(lines[i] ?? '') && (lines[i] ?? '').includes('|')) {
        rows.push(splitTableRow(lines[i] ?? '').map((cell) => parseInline(cell)));
        i += 1;
      }
      blocks.push({ type: 'table', header, rows });
      continue;
    }

    if (LIST_ITEM.test(line)) {
      const items: ListItem[] = [];
      const indents: number[] = [];
      let text: string[] = [];
      let current: Omit<ListItem, 'content'> | null = null;
      const finishItem = () => {
        if (current) items.push({ ...current, content: parseInline(text.join(' ')) });
        text = [];
      };
      while (i < lines.length) {
        const itemLine = lines[i] ?? '';
        const item = LIST_ITEM.exec(itemLine);
        if (item) {
          finishItem();
          const indent = indentWidth(item[1] ?? '');
          while (indents.length > 0 && indent < (indents[indents.length - 1] ?? 0)) indents.pop();
          if (indents.length === 0 || indent > (indents[indents.length - 1] ?? 0)) {
            indents.push(indent);
          }
          const rawMarker = item[2] ?? '-';
          const marker = /^\d/.test(rawMarker) ? `${rawMarker.slice(0, -1)}.` : '•';
          current = { depth: indents.length - 1, marker };
          text = [(item[3] ?? '').trim()];
          i += 1;
        } else if (!isBlank(itemLine) && !startsBlock(itemLine, lines[i + 1])) {
          text.push(itemLine.trim()); // continuation of the item's text
          i += 1;
        } else if (isBlank(itemLine) && LIST_ITEM.test(lines[i + 1] ?? '')) {
          i += 1; // a loose list: blank lines between items
        } else {
          break;
        }
      }
      finishItem();
      blocks.push({ type: 'list', items });
      continue;
    }

    const admonition = ADMONITION.exec(line);
    if (admonition) {
      const title = admonition[1];
      if (title) blocks.push({ type: 'heading', level: 4, content: parseInline(title) });
      i += 1;
      continue;
    }

    const paragraph: string[] = [line.trim()];
    i += 1;
    while (i < lines.length) {
      const paragraphLine = lines[i] ?? '';
      if (isBlank(paragraphLine) || startsBlock(paragraphLine, lines[i + 1])) break;
      paragraph.push(paragraphLine.trim());
      i += 1;
    }
    // Soft line breaks become spaces, as in CommonMark.
    const content = parseInline(paragraph.join(' '));
    // A paragraph made only of HTML tags has no text left to show.
    const hasContent = content.some((run) => run.type !== 'text' || run.text.trim() !== '');
    if (hasContent) blocks.push({ type: 'paragraph', content });
  }

  return blocks;
}

/** Parses a Markdown document into blocks for rendering. */
export function parseMarkdown(markdown: string): Block[] {
  return parseLines(markdown.replace(/\r\n?/g, '\n').split('\n'));
}

/** Appends the text of each block to `texts`, one entry per paragraph, list item or table cell. */
function collectBlockTexts(blocks: Block[], texts: string[]): void {
  for (const block of blocks) {
    switch (block.type) {
      case 'heading':
      case 'paragraph':
        texts.push(plainText(block.content));
        break;
      case 'list':
        for (const item of block.items) texts.push(plainText(item.content));
        break;
      case 'code':
        texts.push(block.text);
        break;
      case 'quote':
        collectBlockTexts(block.blocks, texts);
        break;
      case 'table':
        for (const row of [block.header, ...block.rows]) {
          for (const cell of row) texts.push(plainText(cell));
        }
        break;
      case 'rule':
        break;
    }
  }
}

/**
 * Returns the text of a Markdown document on one line, for previews such as list summaries. It
 * removes markup, link targets, list markers and HTML tags, and joins blocks with spaces.
 */
export function markdownToPlainText(markdown: string): string {
  const texts: string[] = [];
  collectBlockTexts(parseMarkdown(markdown), texts);
  return texts.join(' ').replace(/\s+/g, ' ').trim();
}
