/** Small statistics and table printing for benchmarks (figures are ratios measured in one run). */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export const median = (samples: readonly number[]) => percentile(samples, 50);

export interface Row {
  figure: string;
  value: string;
  baseline: string;
  ratio: number;
  goal: string;
}

/**
 * A figure, its baseline and the goal on their ratio: `label` names it, `met` judges it. The ratio
 * is `value / baseline` unless given (see `pairedRatio`).
 */
export function goalRow(
  figure: string,
  value: number,
  baseline: number,
  unit: string,
  goal: { label: string; met: (ratio: number) => boolean },
  ratio = value / baseline,
): Row {
  return {
    figure,
    value: `${formatNumber(value)} ${unit}`,
    baseline: `${formatNumber(baseline)} ${unit}`,
    ratio,
    goal: `${goal.label} ${goal.met(ratio) ? 'ok' : 'MISSED'}`,
  };
}

/** A ratio that should be at most `goal` (time, size, calls); `value / baseline` unless given. */
export function ratioRow(
  figure: string,
  value: number,
  baseline: number,
  unit: string,
  goal: number,
  ratio = value / baseline,
): Row {
  return goalRow(figure, value, baseline, unit, { label: `≤ ${goal}×`, met: (r) => r <= goal }, ratio);
}

/**
 * The median of the ratios of rounds that each timed both sides back to back. A slow spell of a
 * shared machine slows both sides of a round alike and cancels in its ratio, where it moves one
 * side's median alone: on this project's 2-core machine, 15 rounds of webhook imports gave a
 * ratio of medians anywhere from 0.98 to 1.39, and a median of paired ratios from 1.07 to 1.10.
 */
export function pairedRatio(pairs: readonly (readonly [value: number, baseline: number])[]): number {
  return median(pairs.map(([value, baseline]) => value / baseline));
}

export function formatNumber(n: number): string {
  return n >= 100 ? n.toFixed(0) : n.toFixed(2);
}

/** The rows as a Markdown table, one line per row under a header. */
export function formatTable(rows: readonly Row[]): string {
  const header = ['figure', 'value', 'baseline (same run)', 'ratio', 'goal'];
  const cells = rows.map((r) => [r.figure, r.value, r.baseline, `${r.ratio.toFixed(3)}×`, r.goal]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((x, i) => x.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n');
}
