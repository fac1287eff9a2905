/**
 * Figures of `npm run bench` (issue 8, "npm run bench"): one line per figure, or with `--json` one JSON
 * object per line `{"name","value","unit","baseline"?,"ratio"?}`.
 *
 * For ratio figures `value` is our absolute measurement (msg/s, ms), `baseline` the baseline's in the
 * same unit and `ratio` = value ÷ baseline; the target applies to the ratio. Other figures carry only
 * `value` and `unit`, and the target applies to `value`.
 */

/** A target: the figure passes when `value op limit`. */
export interface Target {
  op: '>=' | '<=' | '<';
  limit: number;
}

/** The issue's targets, by figure name (issue 8, table of `npm run bench`). */
export const TARGETS: Record<string, Target> = {
  ingest_ratio: { op: '>=', limit: 0.5 },
  tail_vs_wscat: { op: '>=', limit: 1.0 },
  flood_cpu: { op: '<=', limit: 1.0 },
  flood_fps: { op: '<=', limit: 30 },
  flood_lag_p99_ms: { op: '<', limit: 100 },
  scrollback_frame_ratio: { op: '<=', limit: 1.2 },
  rss_100k_mb: { op: '<', limit: 150 },
  startup_ms: { op: '<', limit: 300 },
  keypress_ms: { op: '<', limit: 30 },
};

/** The target of a figure by name (a never-passing one for unknown names). */
export function targetOf(name: string): Target {
  return TARGETS[name] ?? { op: '<', limit: Number.NEGATIVE_INFINITY };
}

/** One measured figure. `note` is printed after the line in text mode (how it was measured, runs). */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  baseline?: number;
  ratio?: number;
  target: Target;
  note?: string;
}

/** The number the target is checked against: the ratio when there is one, else the value. */
export function checked(f: Figure): number {
  return f.ratio ?? f.value;
}

/** Whether the figure meets its target (NaN never does). */
export function passes(f: Figure): boolean {
  const v = checked(f);
  if (!Number.isFinite(v)) return false;
  return f.target.op === '>=' ? v >= f.target.limit : f.target.op === '<=' ? v <= f.target.limit : v < f.target.limit;
}

const opText = { '>=': '≥', '<=': '≤', '<': '<' } as const;

const fmt = (x: number): string => {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a >= 1000 ? String(Math.round(x)) : a >= 10 ? x.toFixed(1) : x.toFixed(2);
};

/** The text line: `name value unit (target …) ok|MISS`, with the absolute figures of a ratio after it. */
export function textLine(f: Figure): string {
  const status = passes(f) ? 'ok' : 'MISS';
  if (f.ratio !== undefined) {
    const detail = `${fmt(f.value)} ${f.unit} vs ${fmt(f.baseline ?? Number.NaN)} ${f.unit} baseline`;
    return `${f.name} ${fmt(f.ratio)} ratio (target ${opText[f.target.op]} ${f.target.limit}) ${status}  [${detail}]${f.note ? ` ${f.note}` : ''}`;
  }
  return `${f.name} ${fmt(f.value)} ${f.unit} (target ${opText[f.target.op]} ${f.target.limit}) ${status}${f.note ? `  [${f.note}]` : ''}`;
}

/** The JSON line: `{"name","value","unit","baseline"?,"ratio"?}` (numbers rounded to 4 significant decimals). */
export function jsonLine(f: Figure): string {
  const r = (x: number): number | null => (Number.isFinite(x) ? Math.round(x * 10_000) / 10_000 : null);
  const o: Record<string, unknown> = { name: f.name, value: r(f.value), unit: f.unit };
  if (f.baseline !== undefined) o.baseline = r(f.baseline);
  if (f.ratio !== undefined) o.ratio = r(f.ratio);
  return JSON.stringify(o);
}
