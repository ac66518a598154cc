import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

/** The documents a reader follows: the README and the operator's docs. */
const DOCUMENTS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** The repository's top-level folders and files a document may name by path. */
const TOP = readdirSync(ROOT, { withFileTypes: true })
  .map((entry) => entry.name)
  .filter((name) => !['node_modules', '.git'].includes(name) && existsSync(join(ROOT, name)));

/**
 * Every repository path named in backticks (`core/desk/bot/bot.ts`, `stacks/`, `sst.config.ts`):
 * a word whose first segment is a top-level folder or file of the repository. Placeholders
 * (`synth/<stage>/`, `dynamodb-*.ts`) and generated folders (`.local-data/`, `synth/`) are not paths.
 */
function backtickedPaths(text: string): string[] {
  return [...text.matchAll(/`([^`\n]+)`/g)]
    .flatMap((match) => match[1]!.split(/\s+/))
    .map((word) => word.replace(/[),.:;]+$/, '').replace(/^\(/, ''))
    .filter((word) => /^[\w.-]+(\/[\w.-]*)*$/.test(word) && TOP.includes(word.split('/')[0]!))
    .filter((word) => word.includes('/') || /\.\w+$/.test(word));
}

/** Every relative Markdown link target (`[cost](docs/cost.md)`), resolved against the document. */
function linkedPaths(document: string, text: string): string[] {
  return [...text.matchAll(/\]\(([^)\s#]+)(#[^)]*)?\)/g)]
    .map((match) => match[1]!)
    .filter((target) => !/^[a-z]+:/.test(target))
    .map((target) => relative(ROOT, join(ROOT, dirname(document), target)));
}

describe('paths named in the docs', () => {
  it.each(DOCUMENTS)('every repository path %s names exists', (document) => {
    const text = readFileSync(join(ROOT, document), 'utf8');
    const named = [...new Set([...backtickedPaths(text), ...linkedPaths(document, text)])];
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((path) => !existsSync(join(ROOT, path)))).toEqual([]);
  });

  it('finds a path the way a reader writes it, and would catch one that does not exist', () => {
    expect(backtickedPaths('see `core/bot/i18n.ts`, then `stacks/` and `sst.config.ts`.')).toEqual([
      'core/bot/i18n.ts',
      'stacks/',
      'sst.config.ts',
    ]);
    expect(backtickedPaths('`synth/<stage>/` `dynamodb-*.ts` `alias/wallet-desk-prod` `npm run dev`')).toEqual([]);
    expect(existsSync(join(ROOT, 'core/bot/i18n.ts'))).toBe(false);
    expect(linkedPaths('docs/README.md', '[ops](operations.md), [x](https://example.com)')).toEqual([
      'docs/operations.md',
    ]);
  });
});
