import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request an AWS client sent: its `X-Amz-Target` and the region of its SigV4 credential scope. */
export interface SignedRequest {
  readonly target: string | undefined;
  readonly region: string | undefined;
}

/**
 * A stand-in for an AWS JSON endpoint (KMS, SQS, SSM) that records which region each request was
 * signed for and refuses it (`400 AccessDeniedException`), so a client fails fast and offline.
 */
export async function startRefusingEndpoint(): Promise<{
  readonly url: string;
  readonly requests: SignedRequest[];
  stop(): Promise<void>;
}> {
  const requests: SignedRequest[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const scope = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(req.headers.authorization ?? '');
      const target = req.headers['x-amz-target'];
      requests.push({ target: Array.isArray(target) ? target[0] : target, region: scope?.[1] });
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ __type: 'AccessDeniedException', message: 'refused by the test endpoint' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
