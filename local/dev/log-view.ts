import type { LogLine } from '../index.js';

// Powertools adds the invocation's request id and cold start (and, on AWS, the trace id) to each line.
const HIDDEN = new Set([
  'timestamp',
  'service',
  'level',
  'event',
  'cold_start',
  'function_request_id',
  'xray_trace_id',
]);

/**
 * A function's output as one short line for a person at a terminal: the function, the level
 * when it is not `info`, the event and its fields. Lines that are not our JSON logs (the SDK's
 * warnings, stack traces) pass through with the function's name.
 */
export function formatLogLine({ functionName, line }: LogLine): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return `  [${functionName}] ${line}`;
  }
  if (typeof entry !== 'object' || entry === null || typeof entry.event !== 'string')
    return `  [${functionName}] ${line}`;
  const fields = Object.entries(entry)
    .filter(([key]) => !HIDDEN.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  const level = entry.level === 'info' ? '' : `${String(entry.level).toUpperCase()} `;
  return `  [${functionName}] ${level}${entry.event} ${fields}`;
}
