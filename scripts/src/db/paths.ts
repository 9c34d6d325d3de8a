import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** Repository root: this file lives in scripts/src/db/. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** Git-ignored directory for build outputs such as the FerretDB binary. */
export const cacheDir = path.join(repoRoot, '.cache');

/** Git-ignored directory for persistent local databases. */
export const dataRoot = path.join(repoRoot, '.data');
