import { RefreshDto } from './dto/credentials.dto';
import {
  createContractValidationPipe,
  isPlainRefreshBody,
  validateRefreshBody,
} from './validation';

const pipe = createContractValidationPipe();
const token = `${'a'.repeat(36)}.${'B'.repeat(200)}.${'_-9'.repeat(14)}`;

/** The contract pipe's answer for a refresh body: null when it accepts it, else its errors. */
async function pipeAnswer(body: unknown): Promise<unknown> {
  try {
    await pipe.transform(body, { type: 'body', metatype: RefreshDto, data: undefined });
    return null;
  } catch (error) {
    return error;
  }
}

async function fastAnswer(body: unknown): Promise<unknown> {
  try {
    await validateRefreshBody(body);
    return null;
  } catch (error) {
    return error;
  }
}

describe('validateRefreshBody', () => {
  const accepted: unknown[] = [
    undefined,
    null,
    {},
    { refreshToken: token },
    { refreshToken: '' },
    { refreshToken: 'x'.repeat(4096) },
  ];
  const refused: unknown[] = [
    { refreshToken: 'x'.repeat(4097) },
    { refreshToken: 42 },
    { refreshToken: token, extra: true },
    { other: 'value' },
    { refreshToken: '\uD800' },
    [],
    [{ refreshToken: token }],
    'a string',
    7,
    true,
    { refreshToken: { nested: token } },
  ];

  it.each(accepted)('accepts on sight what the contract pipe accepts (%#)', async (body) => {
    expect(isPlainRefreshBody(body)).toBe(true);
    expect(await pipeAnswer(body)).toBeNull();
    expect(await fastAnswer(body)).toBeNull();
  });

  it.each(refused)('answers as the contract pipe does what it refuses (%#)', async (body) => {
    expect(isPlainRefreshBody(body)).toBe(false);
    const expected = await pipeAnswer(body);
    expect(expected).not.toBeNull();
    expect(await fastAnswer(body)).toEqual(expected);
  });

  it('leaves to the pipe any token with other characters, valid or not', async () => {
    const spelled = { refreshToken: 'päßwörd token with spaces' };
    expect(isPlainRefreshBody(spelled)).toBe(false);
    expect(await fastAnswer(spelled)).toBeNull();
    expect(isPlainRefreshBody(Object.create({ refreshToken: token }))).toBe(false);
  });
});
