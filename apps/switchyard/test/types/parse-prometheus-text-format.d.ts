// The package ships no types: what its parser returns, for the tests that read a scrape with it.
declare module 'parse-prometheus-text-format' {
  /** One series; counters and gauges have `value`, histograms `buckets`, `count` and `sum`. */
  export interface PrometheusSample {
    readonly value?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly buckets?: Readonly<Record<string, string>>;
    readonly count?: string;
    readonly sum?: string;
  }
  export interface PrometheusFamily {
    readonly name: string;
    readonly help: string;
    /** `COUNTER`, `GAUGE`, `HISTOGRAM`, `SUMMARY` or `UNTYPED`. */
    readonly type: string;
    readonly metrics: readonly PrometheusSample[];
  }
  /** Parses the text exposition format; throws on a line that breaks its grammar. */
  export default function parsePrometheusTextFormat(text: string): PrometheusFamily[];
}
