import { jest } from '@jest/globals';
import { EventEmitter } from 'node:events';
import type { DataSource } from 'typeorm';
import { PgPool } from './pg-pool';

/** A pg pool client that records its statements; `failOn` makes one statement reject. */
class FakeClient extends EventEmitter {
  readonly statements: string[] = [];
  readonly release = jest.fn();
  failOn?: { text: string; error: Error; emit?: boolean };

  query(text: string) {
    this.statements.push(text);
    if (this.failOn?.text === text) {
      if (this.failOn.emit) this.emit('error', this.failOn.error);
      return Promise.reject(this.failOn.error);
    }
    return Promise.resolve({ rows: [{ text }] });
  }
}

function pgPool(client = new FakeClient(), type = 'postgres') {
  const pool = {
    query: jest.fn((text: string) => Promise.resolve({ rows: [{ text }] })),
    connect: jest.fn(() => Promise.resolve(client)),
  };
  const dataSource = { options: { type }, driver: { master: pool } } as unknown as DataSource;
  return { sql: new PgPool(dataSource), pool, client };
}

describe('PgPool', () => {
  it('refuses a DataSource that is not PostgreSQL', () => {
    expect(() => pgPool(undefined, 'mysql')).toThrow(/PostgreSQL.*"mysql"/);
  });

  it('runs a statement on the pool itself and returns its rows', async () => {
    const { sql, pool } = pgPool();
    await expect(sql.query('SELECT 1', [1])).resolves.toEqual([{ text: 'SELECT 1' }]);
    expect(pool.query).toHaveBeenCalledWith('SELECT 1', [1]);
    expect(pool.connect).not.toHaveBeenCalled();
  });

  it('commits a transaction on one client and returns it to the pool', async () => {
    const { sql, client } = pgPool();
    const result = await sql.transaction(async (tx) => {
      await tx.query('SELECT 1 FROM sessions WHERE id = $1 FOR UPDATE', ['s']);
      return tx.query('UPDATE sessions SET revoked_at = now()');
    });
    expect(result).toEqual([{ text: 'UPDATE sessions SET revoked_at = now()' }]);
    expect(client.statements).toEqual([
      'BEGIN TRANSACTION ISOLATION LEVEL READ COMMITTED',
      'SELECT 1 FROM sessions WHERE id = $1 FOR UPDATE',
      'UPDATE sessions SET revoked_at = now()',
      'COMMIT',
    ]);
    expect(client.release).toHaveBeenCalledWith(undefined);
    expect(client.listenerCount('error')).toBe(0);
  });

  it('rolls back when the work throws, and rethrows its error', async () => {
    const { sql, client } = pgPool();
    const failure = new Error('password changed meanwhile');
    await expect(
      sql.transaction(async (tx) => {
        await tx.query('UPDATE users SET password_hash = $3');
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(client.statements).toEqual([
      'BEGIN TRANSACTION ISOLATION LEVEL READ COMMITTED',
      'UPDATE users SET password_hash = $3',
      'ROLLBACK',
    ]);
    expect(client.release).toHaveBeenCalledWith(undefined);
  });

  it('destroys a client whose connection failed, without an unhandled error event', async () => {
    const client = new FakeClient();
    const lost = new Error('Connection terminated unexpectedly');
    client.failOn = { text: 'UPDATE sessions SET revoked_at = now()', error: lost, emit: true };
    const { sql } = pgPool(client);
    await expect(
      sql.transaction((tx) => tx.query('UPDATE sessions SET revoked_at = now()')),
    ).rejects.toBe(lost);
    // pg destroys a client released with an error instead of pooling it again.
    expect(client.release).toHaveBeenCalledWith(lost);
  });

  it('destroys the client when the rollback itself fails', async () => {
    const client = new FakeClient();
    const rollbackFailure = new Error('Client has encountered a connection error');
    client.failOn = { text: 'ROLLBACK', error: rollbackFailure };
    const { sql } = pgPool(client);
    const failure = new Error('statement failed');
    await expect(sql.transaction(() => Promise.reject(failure))).rejects.toBe(failure);
    expect(client.release).toHaveBeenCalledWith(rollbackFailure);
  });
});
