import { Get, Query, Req, Res } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import {
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { SessionAuthError } from '../../core/errors';
import { ResolvedSessionAuthOptions } from '../../core/resolved-options';
import {
  type FeedEvent,
  type FeedSubscriber,
  RevocationFeed,
} from '../../domain/sessions/revocation-feed';
import { Public } from '../decorators';
import { ErrorResponseDto } from '../dto/error-response.dto';
import { headerOf, type HttpRequest, type HttpResponse } from '../request';
import { LibraryController } from './library-controller';

/** A cursor: the decimal id of an event. */
const CURSOR = /^\d{1,18}$/;
const BEARER = /^\s*bearer\s+(\S+)\s*$/i;
const HEARTBEAT = ': ping\n\n';

/**
 * `GET /auth/revocations`: the revocation feed, for services that verify access tokens with the
 * JWK Set. Public to the session guard: it has its own credential, a feed token. With
 * `Accept: text/event-stream` a Server-Sent Events stream written to the Node response itself
 * (the platform's reply machinery is for one-shot answers), else one JSON page.
 */
@ApiTags('revocations')
@Public()
@LibraryController('auth')
export class RevocationsController {
  /** sha256 of each feed token: equal lengths, so every comparison is constant time. */
  private readonly tokenHashes: Buffer[];

  constructor(
    options: ResolvedSessionAuthOptions,
    private readonly feed: RevocationFeed,
    private readonly adapterHost: HttpAdapterHost,
  ) {
    this.tokenHashes = options.revocationFeedTokens.map(sha256);
  }

  @Get('revocations')
  @ApiOperation({
    summary: 'Revoked sessions whose access tokens may still be alive: an event stream, or JSON',
    description:
      'With `Accept: text/event-stream`, a Server-Sent Events stream of `revoked` and ' +
      '`revoked-all` events (resume with `Last-Event-ID`), else `{events, cursor}` at once. ' +
      'Authorization: `Bearer <feed token>`, one of REVOCATION_FEED_TOKENS.',
  })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Resume after this event' })
  @ApiQuery({ name: 'after', required: false, description: 'A cursor: events after it' })
  @ApiOkResponse({
    schema: {
      example: {
        events: [
          {
            id: '1523',
            type: 'revoked',
            sid: '6f1c…',
            revokedAt: '2026-01-01T00:00:00.000Z',
            until: '2026-01-01T00:15:00.000Z',
          },
        ],
        cursor: '1523',
      },
    },
  })
  @ApiUnauthorizedResponse({ type: ErrorResponseDto, description: 'feed_token_invalid' })
  @ApiNotFoundResponse({ type: ErrorResponseDto, description: 'not_found: no feed token is set' })
  revocations(
    @Req() request: HttpRequest,
    @Res() response: HttpResponse,
    @Query('after') after: unknown,
  ): void {
    if (this.tokenHashes.length === 0) {
      throw new SessionAuthError('not_found', 'There is nothing here.');
    }
    this.checkFeedToken(headerOf(request, 'authorization'));
    if (acceptsEventStream(request)) {
      const lastEventId = request.headers['last-event-id'];
      this.stream(
        response,
        lastEventId === undefined
          ? cursorOf(after, 'after')
          : cursorOf(lastEventId, 'Last-Event-ID'),
      );
      return;
    }
    const page = this.feed.poll(cursorOf(after, 'after'));
    this.adapterHost.httpAdapter.reply(
      response,
      {
        events: page.events.map((event) => ({ id: event.id, type: event.type, ...event.data })),
        cursor: page.cursor,
      },
      200,
    );
  }

  /** Compares with every configured token, whatever matched before: no early exit to time. */
  private checkFeedToken(authorization: string | undefined): void {
    const presented = sha256(BEARER.exec(authorization ?? '')?.[1] ?? '');
    let matched = false;
    for (const expected of this.tokenHashes) {
      if (timingSafeEqual(presented, expected)) matched = true;
    }
    if (!matched) {
      throw new SessionAuthError(
        'feed_token_invalid',
        'A valid revocation feed token is required (Authorization: Bearer <token>).',
      );
    }
  }

  private stream(response: HttpResponse, after: bigint | null): void {
    const raw = ((response as { raw?: ServerResponse }).raw ?? response) as ServerResponse;
    const subscriber: FeedSubscriber = {
      events: (batch) => raw.write(eventsText(batch)),
      heartbeat: () => raw.write(HEARTBEAT),
      backlogBytes: () => raw.writableLength,
      // The consumer resumes from the last id it received: nothing buffered needs to be kept.
      close: () => raw.destroy(),
    };
    // Before a byte is written, so that a feed not loaded yet still answers 503 in JSON.
    const { events, unsubscribe } = this.feed.subscribe(after, subscriber);
    raw.once('close', unsubscribe);
    if (this.adapterHost.httpAdapter.getType() === 'fastify') {
      (response as { hijack(): void }).hijack();
    }
    raw.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    });
    raw.flushHeaders();
    if (events.length > 0) raw.write(eventsText(events));
  }
}

/** Each event's text, encoded once however many streams send it. */
const encoded = new WeakMap<FeedEvent, string>();

function eventsText(events: readonly FeedEvent[]): string {
  let text = '';
  for (const event of events) {
    let one = encoded.get(event);
    if (one === undefined) {
      one = `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`;
      encoded.set(event, one);
    }
    text += one;
  }
  return text;
}

function acceptsEventStream(request: HttpRequest): boolean {
  return (headerOf(request, 'accept') ?? '').toLowerCase().includes('text/event-stream');
}

function cursorOf(value: unknown, field: string): bigint | null {
  if (value === undefined) return null;
  if (typeof value === 'string' && CURSOR.test(value)) return BigInt(value);
  throw new SessionAuthError('validation_failed', 'The request is not valid.', {
    errors: [{ field, messages: [`${field} must be an event id: 1 to 18 digits`] }],
  });
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
