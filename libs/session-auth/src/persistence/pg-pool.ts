import type { Pool, PoolClient, QueryResultRow } from 'pg';
import type { DataSource } from 'typeorm';

/** How housekeeping deletes: rows per statement, and the pause after a full one. */
export interface Batches {
  size: number;
  /** Waits after a full batch that took `batchMs`; false stops (the app is shutting down). */
  rest?: (batchMs: number) => Promise<boolean>;
}

/** Runs one statement and returns its rows: the pool itself, or the client of a transaction. */
export interface Sql {
  query<R extends QueryResultRow>(text: string, params?: unknown[]): Promise<R[]>;
}

/**
 * The host DataSource's own pg pool (its connections, limits and query timeout), for the
 * repositories' SQL. A statement goes straight to the pool: TypeORM's `DataSource.query` wraps
 * each call in a query runner, which cost 6 to 19 µs of CPU per statement on the refresh path.
 */
export class PgPool implements Sql {
  constructor(private readonly dataSource: DataSource) {
    if (dataSource.options.type !== 'postgres') {
      throw new Error(
        `The session library runs on PostgreSQL through pg: the DataSource is "${dataSource.options.type}".`,
      );
    }
  }

  async query<R extends QueryResultRow>(text: string, params?: unknown[]): Promise<R[]> {
    return (await this.pool().query<R>(text, params)).rows;
  }

  /**
   * Runs `work` in a READ COMMITTED transaction on one pool client: committed when it resolves,
   * rolled back when it throws. A client whose connection failed meanwhile leaves the pool.
   */
  async transaction<T>(work: (sql: Sql) => Promise<T>): Promise<T> {
    const client = await this.pool().connect();
    // An error event on a checked-out client (connection lost) must not crash the process: the
    // failing statement rejects on its own, and the client is destroyed on release.
    let broken: Error | undefined;
    const onError = (error: Error) => (broken = error);
    client.on('error', onError);
    try {
      await client.query('BEGIN TRANSACTION ISOLATION LEVEL READ COMMITTED');
      const result = await work(clientSql(client));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: Error) => (broken ??= rollbackError));
      throw error;
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  /**
   * Housekeeping's deletes: runs `statement` (whose last parameter is the batch size and whose one
   * row says how many it `deleted`) until a run deletes fewer than a batch; the total. Each run is
   * a statement of its own, so no lock outlives one batch; between two, `batches.rest` (given how
   * long the last took) leaves the database to the requests.
   */
  async deleteInBatches(statement: string, params: unknown[], batches: Batches): Promise<number> {
    let total = 0;
    for (;;) {
      const started = performance.now();
      const [{ deleted }] = await this.query<{ deleted: number }>(statement, [
        ...params,
        batches.size,
      ]);
      total += deleted;
      if (deleted < batches.size) return total;
      if (batches.rest && !(await batches.rest(performance.now() - started))) return total;
    }
  }

  /** Read per call: TypeORM sets `driver.master` (public in its typings) when the DataSource connects. */
  private pool(): Pool {
    return (this.dataSource.driver as unknown as { master: Pool }).master;
  }
}

function clientSql(client: PoolClient): Sql {
  return {
    query: async <R extends QueryResultRow>(text: string, params?: unknown[]) =>
      (await client.query<R>(text, params)).rows,
  };
}
