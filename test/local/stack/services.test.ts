import { describe, expect, it } from 'vitest';
import { stageSettings } from '../../../core/desk/settings.js';
import { startStackDataDir } from '../../../local/stack/data-dir.js';
import { startStackDynamoDb } from '../../../local/stack/dynamodb.js';
import { Services } from '../../../local/stack/services.js';
import { startStackSqs } from '../../../local/stack/sqs.js';
import { FUNCTIONS } from '../../../stacks/manifest.js';
import { reachable } from './reachable.js';

/** A fake service that records when it stops. */
function fake(name: string, log: string[], { failStop = false } = {}) {
  return {
    name,
    async stop() {
      log.push(name);
      if (failStop) throw new Error(`${name} will not stop`);
    },
  };
}

const later = <T>(value: T, ms: number) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));
const failing = (ms: number) =>
  new Promise<never>((_, reject) => setTimeout(() => reject(new Error('cannot start')), ms));

describe('Services', () => {
  it('stops the services in the reverse order of their start, once however often stop() is called', async () => {
    const log: string[] = [];
    const services = new Services();
    await services.start(Promise.resolve(fake('a', log)));
    await services.start(Promise.resolve(fake('b', log)));
    await services.start(Promise.resolve(fake('c', log)));
    expect(services.size).toBe(3);
    await Promise.all([services.stop(), services.stop()]);
    await services.stop();
    expect(log).toEqual(['c', 'b', 'a']);
  });

  it('orders services started side by side by the time each came up', async () => {
    const log: string[] = [];
    const services = new Services();
    await Promise.all([services.start(later(fake('slow', log), 30)), services.start(later(fake('fast', log), 1))]);
    await services.stop();
    expect(log).toEqual(['slow', 'fast']);
  });

  it('after a failed start, waits for the starts in flight and stops every service that came up, last first', async () => {
    const log: string[] = [];
    const services = new Services();
    await services.start(Promise.resolve(fake('first', log)));
    const starting = Promise.all([
      services.start(later(fake('quick', log), 1)),
      services.start(failing(5)),
      services.start(later(fake('late', log), 40)),
    ]);
    await expect(starting).rejects.toThrow('cannot start');
    await services.stop();
    expect(log).toEqual(['late', 'quick', 'first']);
  });

  it('stops at once a service that comes up after stop(), and rejects its start', async () => {
    const log: string[] = [];
    const services = new Services();
    const late = services.start(later(fake('late', log), 20));
    await services.stop();
    await expect(late).rejects.toThrow('stopped while this service was starting');
    expect(log).toEqual(['late']);
    await expect(services.start(Promise.resolve(fake('after', log)))).rejects.toThrow();
    expect(log).toEqual(['late', 'after']);
  });

  it('stops the rest when one service fails to stop', async () => {
    const log: string[] = [];
    const services = new Services();
    await services.start(Promise.resolve(fake('a', log)));
    await services.start(Promise.resolve(fake('b', log, { failStop: true })));
    await services.start(Promise.resolve(fake('c', log)));
    await services.stop();
    expect(log).toEqual(['c', 'b', 'a']);
  });

  it('takes real emulators down when a starter beside them fails', async () => {
    const services = new Services();
    const dataDir = await services.start(startStackDataDir('local'));
    let endpoints: string[] = [];
    const starting = Promise.all([
      services.start(startStackDynamoDb({ dataDir: dataDir.path, stage: 'local', functions: FUNCTIONS })),
      services.start(startStackSqs({ stage: 'local', settings: stageSettings('local') })),
    ]).then((started) => {
      endpoints = started.map((service) => service.endpoint);
      return services.start(failing(1));
    });
    await expect(starting).rejects.toThrow('cannot start');
    expect(endpoints).toHaveLength(2);
    for (const endpoint of endpoints) expect(await reachable(endpoint)).toBe(true);
    await services.stop();
    for (const endpoint of endpoints) expect(await reachable(endpoint)).toBe(false);
  });
});
