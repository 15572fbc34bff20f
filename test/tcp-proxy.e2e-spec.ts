import { createServer, Server, Socket } from 'node:net';
import { TcpProxy } from './support/tcp-proxy';

/** The proxy other specs use to take the database away: it must really cut and really restore. */
describe('TcpProxy', () => {
  let echo: Server;
  let echoPort: number;
  let proxy: TcpProxy;

  beforeAll(async () => {
    echo = createServer((socket) => socket.pipe(socket));
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    echoPort = (echo.address() as { port: number }).port;
  });
  beforeEach(async () => {
    proxy = await TcpProxy.start('127.0.0.1', echoPort);
  });
  afterEach(() => proxy.close());
  afterAll(() => new Promise<void>((resolve) => echo.close(() => resolve())));

  it('forwards both ways', async () => {
    const socket = await connect(proxy.port);
    expect(await roundTrip(socket, 'hello')).toBe('hello');
    socket.destroy();
  });

  it('refuse: resets open connections, refuses new ones, and accepts again after restore', async () => {
    const socket = await connect(proxy.port);
    const closed = new Promise((resolve) => socket.once('close', resolve));
    await proxy.cut();
    await closed;
    await expect(connect(proxy.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    await proxy.restore();
    const again = await connect(proxy.port);
    expect(await roundTrip(again, 'back')).toBe('back');
    again.destroy();
  });

  it('blackhole: keeps connections open but passes nothing, until restore closes them', async () => {
    const socket = await connect(proxy.port);
    await proxy.cut('blackhole');
    const fresh = await connect(proxy.port);
    const answers: string[] = [];
    for (const s of [socket, fresh]) {
      s.on('data', (chunk) => answers.push(chunk.toString()));
      s.write('lost');
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(answers).toEqual([]);
    expect(socket.destroyed || fresh.destroyed).toBe(false);

    const closed = Promise.all([socket, fresh].map((s) => new Promise((r) => s.once('close', r))));
    await proxy.restore();
    await closed;
    const again = await connect(proxy.port);
    expect(await roundTrip(again, 'back')).toBe('back');
    again.destroy();
  });

  it('rewrites a URL to point at itself', () => {
    expect(proxy.rewrite('postgresql://u:p@db.example:5432/x?options=-c%20a%3Db')).toBe(
      `postgresql://u:p@127.0.0.1:${proxy.port}/x?options=-c%20a%3Db`,
    );
  });
});

function connect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    socket.once('error', reject);
    socket.connect(port, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

function roundTrip(socket: Socket, text: string): Promise<string> {
  return new Promise((resolve) => {
    socket.once('data', (chunk) => resolve(chunk.toString()));
    socket.write(text);
  });
}
