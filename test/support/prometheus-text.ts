/**
 * A strict parser of the Prometheus text exposition format (version 0.0.4), for the tests of
 * `/metrics`: it throws, naming the line, on anything a Prometheus server would refuse or that the
 * format forbids (a sample before or outside its TYPE, a bad name, label or value, a series twice,
 * histogram buckets that are not cumulative or whose +Inf is not the count).
 */
import request from 'supertest';
import { jsonLogs, type TestApp } from './test-app';

/** The management port the service announced (MANAGEMENT_PORT=0 takes a free one). */
export function managementUrl(t: TestApp): string {
  const line = jsonLogs(t).find((entry) => typeof entry.managementPort === 'number');
  if (!line) throw new Error(`No management port in the logs:\n${t.logs.join('\n')}`);
  return `http://127.0.0.1:${String(line.managementPort)}`;
}

/** `GET /metrics` on a management port, parsed strictly. */
export async function scrape(url: string): Promise<Map<string, MetricFamily>> {
  const response = await request(url).get('/metrics').expect(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(response.text);
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string | null;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Record<MetricFamily['type'], string[]> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const seriesSeen = new Set<string>();
  const lines = text.split('\n');
  if (lines.at(-1) !== '') throw new Error('The exposition does not end with a line feed');
  lines.forEach((line, index) => {
    const fail = (why: string): never => {
      throw new Error(`Line ${index + 1} (${JSON.stringify(line)}): ${why}`);
    };
    if (line === '') return;
    if (line.startsWith('#')) {
      const match = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!match) return; // any other comment
      const [, keyword, name, rest] = match;
      if (!METRIC_NAME.test(name)) fail('bad metric name');
      const family = families.get(name);
      if (keyword === 'TYPE') {
        if (!TYPES.has(rest)) fail('unknown type');
        if (family?.samples.length) fail('TYPE after samples');
        if (family && family.type !== 'untyped') fail('second TYPE');
        families.set(name, {
          name,
          type: rest as MetricFamily['type'],
          help: family?.help ?? null,
          samples: [],
        });
      } else {
        if (family?.help !== null && family?.help !== undefined) fail('second HELP');
        families.set(name, family ? { ...family, help: rest } : emptyFamily(name, rest));
      }
      return;
    }
    const sample = parseSample(line, fail);
    const family = familyOf(families, sample.name) ?? fail('sample of no declared family');
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (seriesSeen.has(key)) fail('the same series twice');
    seriesSeen.add(key);
    if (
      family.type === 'histogram' &&
      sample.name.endsWith('_bucket') &&
      !('le' in sample.labels)
    ) {
      fail('a bucket without le');
    }
    family.samples.push(sample);
  });
  for (const family of families.values()) {
    if (family.type === 'histogram') checkHistogram(family);
  }
  return families;
}

/** The value of the one sample with exactly these labels (among others), or undefined. */
export function sampleValue(
  families: Map<string, MetricFamily>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const matching = samplesOf(families, name, labels);
  if (matching.length > 1)
    throw new Error(`${name} ${JSON.stringify(labels)} names several series`);
  return matching[0]?.value;
}

/** Every sample of `name` whose labels include `labels`. */
export function samplesOf(
  families: Map<string, MetricFamily>,
  name: string,
  labels: Record<string, string> = {},
): Sample[] {
  const family = familyOf(families, name);
  return (family?.samples ?? []).filter(
    (sample) =>
      sample.name === name &&
      Object.entries(labels).every(([label, value]) => sample.labels[label] === value),
  );
}

function emptyFamily(name: string, help: string | null): MetricFamily {
  return { name, type: 'untyped', help, samples: [] };
}

function familyOf(families: Map<string, MetricFamily>, sampleName: string) {
  for (const suffix of ['', '_bucket', '_sum', '_count']) {
    if (!sampleName.endsWith(suffix)) continue;
    const family = families.get(sampleName.slice(0, sampleName.length - suffix.length));
    if (family && SUFFIXES[family.type].includes(suffix)) return family;
  }
  return undefined;
}

function parseSample(line: string, fail: (why: string) => never): Sample {
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line) ?? fail('no metric name');
  const name = nameMatch[0];
  let at = name.length;
  const labels: Record<string, string> = {};
  if (line[at] === '{') {
    at++;
    while (line[at] !== '}') {
      const labelMatch = /^([a-zA-Z_][a-zA-Z0-9_]*)="/.exec(line.slice(at)) ?? fail('bad label');
      const label = labelMatch[1];
      if (!LABEL_NAME.test(label) || label in labels) fail(`bad or repeated label ${label}`);
      at += labelMatch[0].length;
      let value = '';
      for (;;) {
        const char = line[at++] ?? fail('unterminated label value');
        if (char === '"') break;
        if (char !== '\\') {
          value += char;
          continue;
        }
        const escaped = line[at++];
        if (escaped === 'n') value += '\n';
        else if (escaped === '\\' || escaped === '"') value += escaped;
        else fail('bad escape in a label value');
      }
      labels[label] = value;
      if (line[at] === ',') at++;
      else if (line[at] !== '}') fail('expected , or } after a label');
    }
    at++;
  }
  const rest = line.slice(at);
  const valueMatch = /^ (\S+)( -?\d+)?$/.exec(rest) ?? fail('bad value or timestamp');
  return { name, labels, value: parseValue(valueMatch[1], fail) };
}

function parseValue(text: string, fail: (why: string) => never): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) fail(`bad value ${text}`);
  return Number(text);
}

/** Per series: buckets non-decreasing with `le`, the +Inf bucket present and equal to _count. */
function checkHistogram(family: MetricFamily): void {
  const seriesKey = (labels: Record<string, string>) =>
    JSON.stringify(
      Object.entries(labels)
        .filter(([label]) => label !== 'le')
        .sort(),
    );
  const buckets = new Map<string, Array<{ le: number; value: number }>>();
  const counts = new Map<string, number>();
  for (const sample of family.samples) {
    const key = seriesKey(sample.labels);
    if (sample.name.endsWith('_bucket')) {
      const le = sample.labels.le === '+Inf' ? Infinity : Number(sample.labels.le);
      if (Number.isNaN(le)) throw new Error(`${family.name}: bad le ${sample.labels.le}`);
      buckets.set(key, [...(buckets.get(key) ?? []), { le, value: sample.value }]);
    } else if (sample.name.endsWith('_count')) counts.set(key, sample.value);
  }
  for (const [key, series] of buckets) {
    series.sort((a, b) => a.le - b.le);
    series.reduce((previous, bucket) => {
      if (bucket.value < previous) throw new Error(`${family.name}${key}: buckets decrease`);
      return bucket.value;
    }, 0);
    const inf = series.at(-1)!;
    if (inf.le !== Infinity || inf.value !== counts.get(key)) {
      throw new Error(`${family.name}${key}: no +Inf bucket equal to _count`);
    }
  }
}
