/** The stack's LLM: the OpenAI-compatible peer the assistant asks, with a fresh API key. */
import { randomBytes } from 'node:crypto';
import { type LlmPeer, startLlmPeer } from '../llm/index.js';

/** Starts the LLM peer with a random key. */
export function startStackLlm(): Promise<LlmPeer> {
  // Recognisable, so the test run's log grep can find the key anywhere it leaked.
  return startLlmPeer({ apiKey: `local-ai-${randomBytes(24).toString('base64url')}` });
}
