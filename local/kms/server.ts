/**
 * HTTP plumbing of the local KMS: the AWS JSON 1.1 protocol (`POST /`,
 * `X-Amz-Target: TrentService.<Operation>`, JSON bodies), error answers as the SDK reads them
 * (`__type` in the body and `x-amzn-errortype`), fault injection and per-operation counters.
 * SigV4 signatures are accepted without checking: any credentials will do.
 */

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readText } from '../http-body.js';
import { KmsError, serialization, unsupported, validation } from './errors.js';
import type { Operation } from './operations.js';

/** Largest request body accepted (KMS blobs are at most a few KiB). */
const MAX_BODY_BYTES = 1 << 20;
const CONTENT_TYPE = 'application/x-amz-json-1.1';
const TARGET = /^TrentService\.([A-Za-z0-9]+)$/;

/** An injected outage: every request fails until it is cleared. */
export type KmsFault = 'unavailable' | 'throttle';

/** Mutable state the emulator's handle shares with the server. */
export interface KmsServerState {
  fault: KmsFault | null;
  /** Requests per operation name (the target's suffix, or `(none)` without a target). */
  readonly counts: Map<string, number>;
}

function parseBody(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw serialization('Request body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw serialization('Request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function write(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  if (res.writableEnded || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': CONTENT_TYPE,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
    ...headers,
  });
  res.end(text);
}

function writeError(res: ServerResponse, error: KmsError): void {
  write(res, error.status, error.toBody(), { 'x-amzn-errortype': error.type });
}

/** The answer to every request while a fault is injected. */
function faultError(fault: KmsFault): KmsError {
  return fault === 'unavailable'
    ? new KmsError('KMSInternalException', 'The local KMS is unavailable (injected fault)', 503)
    : new KmsError('ThrottlingException', 'Rate exceeded (injected fault)');
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  operations: ReadonlyMap<string, Operation>,
  state: KmsServerState,
): Promise<void> {
  const target = req.headers['x-amz-target'];
  const name = typeof target === 'string' ? TARGET.exec(target)?.[1] : undefined;
  const counted = name ?? '(none)';
  state.counts.set(counted, (state.counts.get(counted) ?? 0) + 1);
  if (state.fault !== null) {
    req.resume();
    writeError(res, faultError(state.fault));
    return;
  }
  const operation = name === undefined ? undefined : operations.get(name);
  if (req.method !== 'POST' || operation === undefined) {
    req.resume();
    writeError(res, unsupported(`Unsupported operation ${typeof target === 'string' ? target : '(no X-Amz-Target)'}`));
    return;
  }
  const body = parseBody(await readText(req, MAX_BODY_BYTES, () => validation('Request body too large')));
  write(res, 200, await operation(body));
}

/** The HTTP server of the emulator (not listening yet). */
export function createKmsServer(operations: ReadonlyMap<string, Operation>, state: KmsServerState): Server {
  return createServer((req, res) => {
    handle(req, res, operations, state).catch((error: unknown) => {
      // Unexpected failures become KMSInternalException; their details stay out of the answer.
      writeError(res, error instanceof KmsError ? error : new KmsError('KMSInternalException', 'Internal error', 500));
    });
  });
}
