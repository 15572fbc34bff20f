/** The package ships no types: a family is `{ name, help, type, metrics }`. */
declare module 'parse-prometheus-text-format' {
  export default function parsePrometheusTextFormat(text: string): unknown[];
}
