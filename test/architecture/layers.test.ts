import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

/** Every `.ts` file under `dir` (relative to the project root). */
function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
}

/** The project files `file` imports (relative specifiers only), relative to the project root. */
function imports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s*'(\.[^']+)'/g)].map((m) => m[1]!);
  return specifiers.map((s) => normalize(join(dirname(file), s)));
}

describe('layers', () => {
  it('core never imports the deployment (stacks/), the Lambda entries (functions/) or the local runtime (local/)', () => {
    const upward = sources('core').flatMap((file) =>
      imports(file)
        .filter((target) => /^(stacks|functions|local|bench|scripts)\//.test(target))
        .map((target) => `${file} → ${target}`),
    );
    expect(upward).toEqual([]);
  });

  it('the platform (bots, ingress, jobs, sessions, the Telegram sender) imports nothing of the wallet desk', () => {
    const platform = ['core/platform', 'core/ingress', 'core/jobs', 'core/sessions', 'core/telegram'];
    const desk =
      /^core\/(bot|wallets|deposits|payouts|ledger|watches|broadcasts|admin|assistant|vault|keys|solana|qr|i18n)(\/|\.js$)/;
    const crossings = platform.flatMap(sources).flatMap((file) =>
      imports(file)
        .filter((target) => desk.test(target))
        .map((target) => `${file} → ${target}`),
    );
    expect(crossings).toEqual([]);
  });

  it('the example bot builds on the platform alone', () => {
    const desk =
      /^core\/(bot|wallets|deposits|payouts|ledger|watches|broadcasts|admin|assistant|vault|keys|solana|qr)\//;
    const crossings = sources('examples').flatMap((file) =>
      imports(file)
        .filter((target) => desk.test(target))
        .map((target) => `${file} → ${target}`),
    );
    expect(crossings).toEqual([]);
  });

  it('the deployment manifest is plain data: no CDK, SST or SDK import', () => {
    for (const file of ['stacks/manifest.ts', 'stacks/table-grants.ts']) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      expect(text, file).not.toMatch(/from '(aws-cdk-lib|sst|constructs|@aws-sdk)/);
    }
  });

  it('sees an upward import when there is one (the check can fail)', () => {
    expect(imports('functions/lib/config.ts')).toContain('stacks/manifest.js');
  });
});
