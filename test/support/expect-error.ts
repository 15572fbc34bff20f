import type { Response } from 'supertest';

const ALLOWED_KEYS = ['statusCode', 'code', 'message'];

/** The contract's error shape, and nothing that tells about the inside. */
export function expectContractError(
  res: Response,
  status: number,
  code: string,
  extraKeys: string[] = [],
): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(Object.keys(res.body).sort()).toEqual([...ALLOWED_KEYS, ...extraKeys].sort());
  expect(res.body).toMatchObject({ statusCode: status, code, message: expect.any(String) });
  expect(res.body.message.length).toBeGreaterThan(0);
  expect(res.text).not.toMatch(
    /\bat \S+ \(|node_modules|\/src\/|\/dist\/|stack|FST_|Exception|SyntaxError|typeorm|QueryFailed/i,
  );
}
