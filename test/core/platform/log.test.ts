import { describe, expect, it } from 'vitest';
import { createLogger, redact } from '../../../core/platform/log.js';

describe('logger', () => {
  it('redacts secret-looking fields and scrubs tokens and known secrets from strings', () => {
    const lines: string[] = [];
    const log = createLogger({ service: 's', write: (l) => lines.push(l), secrets: ['hunter2-webhook-secret'] });
    log.child({ correlationId: 'u1' }).info('x', {
      token: 'abc',
      nested: { apiKey: 'k', note: 'url /bot123456:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghi/send' },
      said: 'the secret is hunter2-webhook-secret',
    });
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({ level: 'info', event: 'x', service: 's', correlationId: 'u1', token: '[redacted]' });
    expect(line.nested.apiKey).toBe('[redacted]');
    expect(line.nested.note).not.toContain('ABCDEFGHIJ');
    expect(line.said).not.toContain('hunter2');
  });

  it('drops lines below its level', () => {
    const lines: string[] = [];
    const log = createLogger({ service: 's', level: 'warn', write: (l) => lines.push(l) });
    log.info('quiet');
    log.error('loud');
    expect(lines.map((l) => JSON.parse(l).event)).toEqual(['loud']);
  });

  it('survives deep and cyclic-looking structures', () => {
    let deep: Record<string, unknown> = {};
    const root = deep;
    for (let i = 0; i < 20; i++) deep = deep.next = {} as Record<string, unknown>;
    expect(JSON.stringify(redact(root))).toContain('[truncated]');
  });
});
