import { describe, expect, it } from 'vitest';
import { startStackLlm } from '../../../local/stack/llm.js';
import { reachable } from './reachable.js';

describe('startStackLlm', () => {
  it('starts the LLM peer with a fresh, recognisable key, and stops it', async () => {
    const [llm, other] = await Promise.all([startStackLlm(), startStackLlm()]);
    try {
      expect(llm.apiKey).toMatch(/^local-ai-/);
      expect(llm.apiKey).not.toBe(other.apiKey);
      expect(await reachable(llm.baseUrl)).toBe(true);
    } finally {
      await Promise.all([llm.stop(), other.stop()]);
    }
    expect(await reachable(llm.baseUrl)).toBe(false);
  });
});
