import { createHmac, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { ClaimedDelivery } from './webhook-outbox.repository';
import { webhookRequest } from './webhook-request';

const key = randomBytes(32);
const secret = `whsec_${key.toString('base64')}`;
const delivery: ClaimedDelivery = {
  id: '0b7f3c9e-6c55-4d8e-9a51-2f0f7d1e2a11',
  type: 'login',
  userId: '5d2c1f8a-2b9e-4a57-8f0e-64f1a1c3e9b2',
  sessionId: '9a4e7b21-0c3d-4f6a-b8e5-1d2c3b4a5f60',
  ip: '203.0.113.7',
  userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0',
  at: new Date('2026-12-01T10:20:30.456Z'),
  attempts: 1,
};

describe('webhookRequest', () => {
  it('is the contract JSON, signed as Standard Webhooks receivers verify it', () => {
    const sentAt = new Date();
    const { body, headers } = webhookRequest(new Webhook(secret), delivery, sentAt);

    expect(JSON.parse(body)).toEqual({
      type: 'login',
      timestamp: '2026-12-01T10:20:30.456Z',
      data: {
        userId: delivery.userId,
        sessionId: delivery.sessionId,
        ip: '203.0.113.7',
        userAgent: delivery.userAgent,
        at: '2026-12-01T10:20:30.456Z',
      },
    });
    expect(headers['content-type']).toBe('application/json');
    expect(headers['webhook-id']).toBe(delivery.id);
    expect(headers['webhook-timestamp']).toBe(String(Math.floor(sentAt.getTime() / 1000)));
    // The package's own verification, as a receiver runs it...
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    // ...and the specification's definition: v1, base64 HMAC-SHA256 of "id.timestamp.body".
    const signed = `${delivery.id}.${headers['webhook-timestamp']}.${body}`;
    expect(headers['webhook-signature']).toBe(
      `v1,${createHmac('sha256', key).update(signed).digest('base64')}`,
    );
  });

  it('fails verification under another secret, or with the body changed', () => {
    const { body, headers } = webhookRequest(new Webhook(secret), delivery, new Date());
    const other = new Webhook(`whsec_${randomBytes(32).toString('base64')}`);
    expect(() => other.verify(body, headers)).toThrow();
    expect(() => new Webhook(secret).verify(body.replace('login', 'logout'), headers)).toThrow();
  });

  it('keeps the body and id from one attempt to the next; only the timestamp moves', () => {
    const signer = new Webhook(secret);
    const first = webhookRequest(signer, delivery, new Date('2026-12-01T10:20:31Z'));
    const retry = webhookRequest(signer, { ...delivery, attempts: 2 }, new Date());
    expect(retry.body).toBe(first.body);
    expect(retry.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(retry.headers['webhook-timestamp']).not.toBe(first.headers['webhook-timestamp']);
  });

  it('writes null for what the event does not have', () => {
    const { body } = webhookRequest(
      new Webhook(secret),
      { ...delivery, type: 'login_failed', sessionId: null, ip: null, userAgent: null },
      new Date(),
    );
    expect(JSON.parse(body).data).toEqual({
      userId: delivery.userId,
      sessionId: null,
      ip: null,
      userAgent: null,
      at: '2026-12-01T10:20:30.456Z',
    });
  });
});
