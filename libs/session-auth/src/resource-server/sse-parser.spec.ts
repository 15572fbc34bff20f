import { describe, expect, it } from '@jest/globals';
import { type ServerSentEvent, SseParser } from './sse-parser';

function parse(chunks: string[]): { events: ServerSentEvent[]; comments: string[] } {
  const events: ServerSentEvent[] = [];
  const comments: string[] = [];
  const parser = new SseParser(
    (event) => events.push(event),
    (comment) => comments.push(comment),
  );
  for (const chunk of chunks) parser.push(chunk);
  return { events, comments };
}

describe('SseParser', () => {
  it('reads the feed’s events and heartbeats', () => {
    const { events, comments } = parse([': ping\n\nid: 7\nevent: revoked\ndata: {"sid":"a"}\n\n']);
    expect(comments).toEqual(['ping']);
    expect(events).toEqual([{ id: '7', event: 'revoked', data: '{"sid":"a"}' }]);
  });

  it('finds the same events however the stream is cut into chunks, with any line ending', () => {
    const text = '\ufeffid: 1\r\nevent: revoked\r\ndata: x\r\n\r\nid: 2\rdata: y\rdata: z\r\r';
    const whole = parse([text]).events;
    expect(whole).toEqual([
      { id: '1', event: 'revoked', data: 'x' },
      { id: '2', event: 'message', data: 'y\nz' },
    ]);
    for (let cut = 1; cut < text.length; cut++) {
      expect(parse([text.slice(0, cut), text.slice(cut)]).events).toEqual(whole);
    }
    expect(parse([...text]).events).toEqual(whole);
  });

  it('dispatches nothing for an event without data, and only a complete event', () => {
    expect(parse(['id: 3\nevent: revoked\n\n', 'data: half']).events).toEqual([]);
  });

  it('refuses a line longer than any event, rather than buffering without bound', () => {
    const parser = new SseParser(() => undefined);
    expect(() => parser.push(`data: ${'x'.repeat(1 << 20)}`)).toThrow('without a line break');
  });
});
