import { request as httpRequest, type IncomingMessage } from 'node:http';
import { sleep } from '../factories/users';

export interface StreamedEvent {
  id: string;
  event: string;
  data: Record<string, string>;
}

/** An open `GET /auth/revocations` event stream, parsed as it arrives. */
export interface FeedStream {
  response: IncomingMessage;
  events: StreamedEvent[];
  /** Comment lines (`: ping`) received. */
  comments: string[];
  /** Resolves once `predicate` holds for what has arrived, or rejects after `timeoutMs`. */
  until(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  close(): void;
}

export function openFeedStream(
  baseUrl: string,
  token: string,
  headers: Record<string, string> = {},
  path = '/auth/revocations',
): Promise<FeedStream> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, baseUrl), {
      headers: {
        Accept: 'text/event-stream',
        Authorization: `Bearer ${token}`,
        ...headers,
      },
    });
    req.on('error', reject);
    req.on('response', (response) => {
      const stream: FeedStream = {
        response,
        events: [],
        comments: [],
        until: async (predicate, timeoutMs = 5_000) => {
          const deadline = Date.now() + timeoutMs;
          while (!predicate()) {
            if (Date.now() > deadline) throw new Error('The feed did not deliver in time');
            await sleep(10);
          }
        },
        close: () => req.destroy(),
      };
      let buffer = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields: Record<string, string> = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) stream.comments.push(line);
            else {
              const colon = line.indexOf(': ');
              fields[line.slice(0, colon)] = line.slice(colon + 2);
            }
          }
          if (fields.id) {
            stream.events.push({
              id: fields.id,
              event: fields.event,
              data: JSON.parse(fields.data) as Record<string, string>,
            });
          }
        }
      });
      response.on('error', () => undefined);
      resolve(stream);
    });
    req.end();
  });
}

/** The session ids of the `revoked` events received, in order. */
export const sidsOf = (events: StreamedEvent[]) =>
  events.filter((event) => event.event === 'revoked').map((event) => event.data.sid);
