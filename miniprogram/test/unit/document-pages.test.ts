import { describe, expect, test } from 'vitest';

import {
  changePage,
  clampPage,
  documentFileType,
  hasPagePlaceholder,
  lastPage,
  pageImageUrl,
  resumePage,
} from '../../src/services/document-pages';

describe('page image URLs', () => {
  test('placeholder is detected', () => {
    expect(hasPagePlaceholder('http://127.0.0.1/doc/page-{page}.png')).toBe(true);
    expect(hasPagePlaceholder('http://127.0.0.1/doc/notes.pdf')).toBe(false);
  });

  test('every placeholder is replaced', () => {
    expect(pageImageUrl('http://127.0.0.1/{page}/p-{page}.png', 7)).toBe(
      'http://127.0.0.1/7/p-7.png',
    );
  });
});

describe('page bounds', () => {
  test('unknown page count has no last page', () => {
    expect(lastPage(0)).toBeNull();
    expect(lastPage(Number.NaN)).toBeNull();
    expect(lastPage(12)).toBe(12);
  });

  test.each([
    { page: 0, pageCount: 5, expected: 1 },
    { page: -3, pageCount: 5, expected: 1 },
    { page: 2.4, pageCount: 5, expected: 2 },
    { page: 9, pageCount: 5, expected: 5 },
    { page: 9, pageCount: 0, expected: 9 },
    { page: Number.NaN, pageCount: 5, expected: 1 },
  ])('clamps $page of $pageCount to $expected', ({ page, pageCount, expected }) => {
    expect(clampPage(page, pageCount)).toBe(expected);
  });
});

describe('resume page', () => {
  test('no stored position opens page 1', () => {
    expect(resumePage(null, 5)).toBe(1);
  });

  test('stored page is kept', () => {
    expect(resumePage(3, 5)).toBe(3);
  });

  test('stored page beyond the end opens the last page', () => {
    expect(resumePage(8, 5)).toBe(5);
  });
});

describe('page change', () => {
  test('first placement sends a heartbeat', () => {
    expect(changePage(null, 1, 5)).toEqual({ page: 1, heartbeat: { position: 1 } });
  });

  test('next page sends its number', () => {
    expect(changePage(2, 3, 5)).toEqual({ page: 3, heartbeat: { position: 3 } });
  });

  test('move past the end sends nothing', () => {
    expect(changePage(5, 6, 5)).toEqual({ page: 5, heartbeat: null });
  });

  test('move before page 1 sends nothing', () => {
    expect(changePage(1, 0, 5)).toEqual({ page: 1, heartbeat: null });
  });
});

describe('document file type', () => {
  test.each([
    { url: 'http://127.0.0.1/notes.pdf', expected: 'pdf' },
    { url: 'http://127.0.0.1/Slides.PPTX?v=2', expected: 'pptx' },
    { url: 'http://127.0.0.1/sheet.xlsx#top', expected: 'xlsx' },
    { url: 'http://127.0.0.1/download?id=3', expected: null },
    { url: 'http://127.0.0.1/archive.zip', expected: null },
  ])('$url is $expected', ({ url, expected }) => {
    expect(documentFileType(url)).toBe(expected);
  });
});
