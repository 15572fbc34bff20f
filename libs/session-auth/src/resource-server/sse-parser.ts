/** One Server-Sent Event, as the stream dispatched it. */
export interface ServerSentEvent {
  /** The event's own `id:` field, if it had one. */
  id?: string;
  /** `event:`; `message` when absent. */
  event: string;
  /** The `data:` lines, joined with `\n`. */
  data: string;
}

/** Far above any event of the feed: a stream that sends more without a line break is broken. */
const MAX_PENDING_CHARS = 1 << 20;

/**
 * The text/event-stream format of the HTML standard ("Server-sent events", the parsing rules),
 * for the fields the revocation feed uses: lines ending in CRLF, LF or CR (split across chunks
 * or not), `:` comments, `event`, `data` (several lines joined), `id`; `retry` and unknown fields
 * are ignored. Feed it decoded text as it arrives.
 */
export class SseParser {
  private pending = '';
  private started = false;
  /** A chunk ended with CR: a LF opening the next one belongs to that line break. */
  private afterCarriageReturn = false;
  private event = '';
  private data: string[] = [];
  private id: string | undefined;

  constructor(
    private readonly onEvent: (event: ServerSentEvent) => void,
    private readonly onComment: (text: string) => void = () => undefined,
  ) {}

  push(chunk: string): void {
    if (!this.started && chunk.length > 0) {
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    if (this.afterCarriageReturn && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.afterCarriageReturn = false;
    const text = this.pending + chunk;
    const lineBreak = /\r\n|\r|\n/g;
    let start = 0;
    for (let match = lineBreak.exec(text); match; match = lineBreak.exec(text)) {
      // A CR that ends the text may be the first half of a CRLF split across two chunks.
      if (match[0] === '\r' && match.index === text.length - 1) this.afterCarriageReturn = true;
      this.line(text.slice(start, match.index));
      start = lineBreak.lastIndex;
    }
    this.pending = text.slice(start);
    if (this.pending.length > MAX_PENDING_CHARS) {
      throw new Error(
        `The event stream sent ${this.pending.length} characters without a line break`,
      );
    }
  }

  private line(line: string): void {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return this.onComment(line.slice(1).trimStart());
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.id = value;
  }

  private dispatch(): void {
    const { id, event, data } = this;
    this.id = undefined;
    this.event = '';
    this.data = [];
    if (data.length === 0) return;
    this.onEvent({
      ...(id === undefined ? {} : { id }),
      event: event || 'message',
      data: data.join('\n'),
    });
  }
}
