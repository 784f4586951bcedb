import { readFileSync } from 'node:fs';

/** This package's name and version, read from package.json (two levels above `src/common/` and `dist/common/`). */
export const PACKAGE: { name: string; version: string } = (({ name, version }) => ({ name, version }))(
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name: string; version: string },
);
