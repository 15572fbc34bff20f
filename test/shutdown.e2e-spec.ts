import { Agent, request as httpRequest } from 'node:http';
import { Socket } from 'node:net';
import { createTestApp } from './support/test-app';

/**
 * On SIGTERM or SIGINT the service stops taking connections, finishes what it has begun, and
 * exits 0. The request in flight is a slow upload: its headers are in, its body is not.
 */
describe('graceful shutdown', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'on %s, answers the request in flight, refuses new connections and exits 0',
    async (signal) => {
      const t = await createTestApp();
      try {
        const body = JSON.stringify({ email: 'nobody@example.com', password: 'not the password' });
        const half = Math.floor(body.length / 2);
        // A client that keeps idle connections open for long, as proxies and load balancers do.
        const agent = new Agent({ keepAlive: true, timeout: 120_000 });
        const slow = httpRequest(`${t.url}/auth/login`, {
          agent,
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'Content-Length': body.length },
        });
        const answer = new Promise<{ status: number; body: string; connection?: string }>(
          (resolve, reject) => {
            slow.on('error', reject);
            slow.on('response', (res) => {
              let text = '';
              res.on('data', (chunk: Buffer) => (text += chunk.toString()));
              res.on('end', () =>
                resolve({
                  status: res.statusCode ?? 0,
                  body: text,
                  connection: res.headers.connection,
                }),
              );
            });
          },
        );
        slow.write(body.slice(0, half));
        // The request is under way once the service has read its headers.
        await new Promise((resolve) => setTimeout(resolve, 300));

        const exit = t.stop(signal);
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(t.process.exitCode).toBeNull();
        await expect(connect(t.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });

        slow.end(body.slice(half));
        const response = await answer;
        expect(response.status).toBe(401);
        expect(JSON.parse(response.body)).toMatchObject({ code: 'invalid_credentials' });
        // The connection is not kept for another request: the service is going away.
        expect(response.connection).toBe('close');

        const started = Date.now();
        expect(await exit).toBe(0);
        expect(Date.now() - started).toBeLessThan(3_000);
        agent.destroy();
      } finally {
        await t.close();
      }
    },
  );
});

function connect(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    socket.once('error', reject);
    socket.connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolve();
    });
  });
}
