// Paths used by the parser tests.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../../..');

/** Deliberately broken and hand-made inputs, next to this file. */
export const FIXTURES = path.join(here, 'fixtures');

/**
 * The real input data: DATA_DIR (relative to the repository root, as for the local stack),
 * default `shared/data` beside the repository.
 */
export const SHARED_DATA = path.resolve(repoRoot, process.env.DATA_DIR ?? '../shared/data');
