/**
 * The drift report as one self-contained HTML page: inline CSS, one inline SVG histogram per feature
 * (reference shares beside current shares: the frozen decile bins for numeric features, the frozen
 * levels plus "other" for categorical ones) and the verdicts. No scripts, fonts or links: it reads
 * the same offline, attached to a ticket, as on the machine that wrote it.
 */
import {
  CategoricalFeatureWindow,
  NumericFeatureWindow,
  referenceCategoryCounts,
  type DriftReport,
  type DriftWindow,
  type TrainingStatistics,
} from '@churn/drift-stats';

export interface DriftReportPage {
  title: string;
  /** Lines under the title (model, data, rows). */
  facts: string[];
  report: DriftReport;
  reference: TrainingStatistics | undefined;
  window: DriftWindow | undefined;
}

interface Histogram {
  labels: string[];
  reference: number[];
  current: number[];
}

const STATUS_COLOURS: Record<string, string> = {
  ok: '#2e7d32',
  warn: '#b26a00',
  drift: '#c62828',
  insufficient_data: '#616161',
  no_reference: '#616161',
};

export function renderDriftReportHtml(page: DriftReportPage): string {
  const { report } = page;
  const rows = report.features
    .map(
      (line) =>
        `<tr><td>${escape(line.name)}</td><td>${line.method ?? '—'}</td><td>${num(line.statistic)}</td><td>${num(line.p_value)}</td><td>${num(line.score)}</td><td>${num(line.threshold)}</td><td>${num(line.psi)}</td><td><span class="status" style="background:${STATUS_COLOURS[line.status]}">${line.status}</span></td></tr>`,
    )
    .join('\n');
  const charts = report.features
    .map((line) => {
      const histogram = histogramOf(line.name, page.reference, page.window);
      const chart =
        histogram === undefined
          ? '<p class="note">No training statistics: nothing to compare with.</p>'
          : svgHistogram(histogram);
      return `<section><h3>${escape(line.name)} <span class="status" style="background:${STATUS_COLOURS[line.status]}">${line.status}</span></h3>${chart}</section>`;
    })
    .join('\n');
  const verdict = report.dataset_drift
    ? `Dataset drift: ${report.drifted_features.length} drifted feature(s) (${(report.share * 100).toFixed(0)}% of those tested): ${report.drifted_features.map(escape).join(', ')}`
    : `No dataset drift (${report.drifted_features.length} drifted feature(s)${report.drifted_features.length > 0 ? `: ${report.drifted_features.map(escape).join(', ')}` : ''})`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(page.title)}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#212121;max-width:1100px}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ddd;padding:.3rem .6rem;text-align:left;font-variant-numeric:tabular-nums}
th{background:#f5f5f5}.status{color:#fff;border-radius:3px;padding:.05rem .4rem;font-size:.85em}
.verdict{font-size:1.2em;font-weight:600;color:${report.dataset_drift ? '#c62828' : '#2e7d32'}}
section{display:inline-block;vertical-align:top;margin:0 1.5rem 1.5rem 0}h3{font-size:1em;margin:.2rem 0}
.legend span{display:inline-block;width:.8em;height:.8em;margin:0 .3em 0 1em}.note{color:#616161}
</style></head><body>
<h1>${escape(page.title)}</h1>
${page.facts.map((fact) => `<div>${escape(fact)}</div>`).join('\n')}
<p class="verdict">${verdict}</p>
<table><thead><tr><th>feature</th><th>method</th><th>statistic</th><th>p-value</th><th>score</th><th>threshold</th><th>PSI</th><th>status</th></tr></thead><tbody>
${rows}
</tbody></table>
<p class="legend">Histograms:<span style="background:#90a4ae"></span>reference (training)<span style="background:#1e88e5"></span>current (this data)</p>
${charts}
</body></html>
`;
}

/** Shares per bin or level of the reference and of the window, or undefined without a reference. */
function histogramOf(
  name: string,
  reference: TrainingStatistics | undefined,
  window: DriftWindow | undefined,
): Histogram | undefined {
  const feature = window?.features.get(name);
  if (reference === undefined || feature === undefined) return undefined;
  if (feature instanceof NumericFeatureWindow) {
    const column = reference.numeric[name];
    if (column === undefined) return undefined;
    const edges = column.bin_edges;
    const labels = [
      `≤ ${short(edges[0])}`,
      ...edges.slice(1).map((edge, i) => `${short(edges[i])}–${short(edge)}`),
      `> ${short(edges[edges.length - 1])}`,
    ];
    return {
      labels: edges.length === 0 ? ['all'] : labels,
      reference: shares(column.bin_counts),
      current: shares(feature.binCounts),
    };
  }
  if (feature instanceof CategoricalFeatureWindow) {
    const column = reference.categorical[name];
    if (column === undefined) return undefined;
    return {
      labels: [...column.levels, 'other'],
      reference: shares(referenceCategoryCounts(column)),
      current: shares(feature.levelCounts),
    };
  }
  return undefined;
}

function svgHistogram({ labels, reference, current }: Histogram): string {
  const height = 150;
  const band = 34;
  const width = Math.max(240, labels.length * band + 40);
  const top = Math.max(...reference, ...current, 0.01);
  const bars = labels
    .map((label, i) => {
      const x = 36 + i * band;
      const refHeight = (reference[i] / top) * (height - 20);
      const curHeight = (current[i] / top) * (height - 20);
      return [
        `<rect x="${x}" y="${height - refHeight}" width="13" height="${refHeight}" fill="#90a4ae"><title>${escape(label)}: reference ${pct(reference[i])}</title></rect>`,
        `<rect x="${x + 14}" y="${height - curHeight}" width="13" height="${curHeight}" fill="#1e88e5"><title>${escape(label)}: current ${pct(current[i])}</title></rect>`,
        `<text x="${x + 14}" y="${height + 12}" font-size="9" text-anchor="end" transform="rotate(-35 ${x + 14} ${height + 12})">${escape(label.length > 14 ? `${label.slice(0, 13)}…` : label)}</text>`,
      ].join('');
    })
    .join('');
  return `<svg width="${width}" height="${height + 70}" role="img"><text x="0" y="10" font-size="9">${pct(top)}</text><line x1="34" y1="${height}" x2="${width}" y2="${height}" stroke="#9e9e9e"/>${bars}</svg>`;
}

function shares(counts: readonly number[]): number[] {
  const total = counts.reduce((sum, count) => sum + count, 0);
  return counts.map((count) => (total === 0 ? 0 : count / total));
}

function num(value: number | null): string {
  return value === null ? '—' : value.toPrecision(4);
}

function short(value: number): string {
  return Number(value.toPrecision(4)).toString();
}

function pct(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
