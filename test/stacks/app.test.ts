import { describe, expect, it } from 'vitest';
import config from '../../sst.config.js';
import { APP_NAME, DEFAULT_REGION, deployRegion } from '../../stacks/app.js';

describe('the app’s name and region (stacks/app.ts)', () => {
  it('are what sst.config.ts gives `sst`, so `sst` and the scripts agree', async () => {
    expect(await config.config()).toEqual({ name: APP_NAME, region: DEFAULT_REGION });
    expect(deployRegion()).toBe(DEFAULT_REGION);
  });

  it('takes a --region override, as `sst --region` does', () => {
    expect(deployRegion('us-west-2')).toBe('us-west-2');
    expect(deployRegion('us-gov-west-1')).toBe('us-gov-west-1');
  });

  it.each(['', 'mars', 'eu-central', 'EU-CENTRAL-1', 'eu-central-1; rm -rf /'])(
    'refuses the malformed region %j',
    (region) => {
      expect(() => deployRegion(region)).toThrow(/--region must be an AWS region/);
    },
  );
});
