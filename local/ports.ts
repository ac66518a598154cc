/**
 * Loopback listening helpers shared by the local emulators and the Lambda runner.
 *
 * Everything local listens on 127.0.0.1 with a port chosen by the OS, so several stacks
 * (two test files, a dev session and a test run) never collide.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The only interface local servers bind to: nothing local is reachable from the network. */
export const LOOPBACK = '127.0.0.1';

/**
 * Starts `server` listening on `LOOPBACK`, on `port` (0, the default, lets the OS choose),
 * and resolves with the port actually bound.
 */
export function listen(server: Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      server.off('listening', onListening);
      reject(error);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, LOOPBACK);
  });
}

/**
 * Stops `server` and drops its open connections (idle keep-alive sockets and in-flight requests),
 * as a crashed or stopped service would. Resolves once the port is released.
 */
export function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

/** `http://127.0.0.1:<port>`. */
export const loopbackUrl = (port: number): string => `http://${LOOPBACK}:${port}`;
