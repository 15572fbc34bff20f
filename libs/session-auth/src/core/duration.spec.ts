import { formatDuration, parseDuration } from './duration';

describe('parseDuration', () => {
  it.each([
    ['900', 900_000],
    ['0', 0],
    ['90s', 90_000],
    ['15m', 900_000],
    ['12h', 43_200_000],
    ['7d', 604_800_000],
    [' 30d ', 2_592_000_000],
  ])('reads %j as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 'abc', '15 m', '-5', '1.5h', '10w', '15M', '1e3', 's', '9999999999'])(
    'refuses %j',
    (text) => {
      expect(parseDuration(text)).toBeNull();
    },
  );
});

describe('formatDuration', () => {
  it.each([
    [900_000, '15m'],
    [604_800_000, '7d'],
    [90_000, '90s'],
    [3_600_000, '1h'],
    [1_500, '1500ms'],
  ])('writes %d ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
