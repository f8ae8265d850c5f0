import parsePrometheusTextFormat, {
  type PrometheusFamily,
  type PrometheusSample,
} from 'parse-prometheus-text-format';

/**
 * A scrape, parsed by a parser of the text format (a port of the Prometheus reference parser;
 * it throws on any line that breaks the grammar). It collapses a histogram that has labels into
 * one series, so labelled histograms are checked from prom-client's registry instead.
 */
export class Scrape {
  readonly families: ReadonlyMap<string, PrometheusFamily>;

  constructor(readonly text: string) {
    this.families = new Map(parsePrometheusTextFormat(text).map((family) => [family.name, family]));
  }

  family(name: string): PrometheusFamily {
    const family = this.families.get(name);
    if (family === undefined) throw new Error(`no ${name} in the scrape:\n${this.text}`);
    return family;
  }

  /** The value of the series of `name` with exactly these labels (none by default). */
  value(name: string, labels: Readonly<Record<string, string>> = {}): number {
    const sample = this.family(name).metrics.find((each) => sameLabels(each, labels));
    if (sample?.value === undefined) {
      throw new Error(`no ${name}${JSON.stringify(labels)} in the scrape:\n${this.text}`);
    }
    return Number(sample.value);
  }

  /** An unlabelled histogram: cumulative counts by `le`, its sum and its count. */
  histogram(name: string): { buckets: Map<string, number>; sum: number; count: number } {
    const family = this.family(name);
    if (family.type !== 'HISTOGRAM') throw new Error(`${name} is a ${family.type}`);
    const [sample] = family.metrics;
    return {
      buckets: new Map(Object.entries(sample?.buckets ?? {}).map(([le, n]) => [le, Number(n)])),
      sum: Number(sample?.sum),
      count: Number(sample?.count),
    };
  }
}

function sameLabels(sample: PrometheusSample, labels: Readonly<Record<string, string>>): boolean {
  const own = sample.labels ?? {};
  const keys = Object.keys(labels);
  return Object.keys(own).length === keys.length && keys.every((key) => own[key] === labels[key]);
}

/** GETs a metrics URL and parses the body; rejects on a status other than 200. */
export async function scrape(url: string): Promise<Scrape> {
  const response = await fetch(url);
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${url}: ${response.status} ${text}`);
  return new Scrape(text);
}
