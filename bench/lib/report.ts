/**
 * Figures of `npm run bench`: one line per figure, or with `--json` one JSON
 * object per line `{"name","value","unit","baseline"?,"ratio"?}`.
 *
 * For ratio figures `value` is our absolute measurement (msg/s, ms), `baseline` the baseline's in the
 * same unit and `ratio` = value ÷ baseline; the target applies to the ratio. Other figures carry only
 * `value` and `unit`, and the target applies to `value`.
 */

/** A target: the figure passes when `value op limit`; `info` figures are printed for information and always pass. */
export interface Target {
  op: '>=' | '<=' | '<' | 'info';
  limit: number;
}

/**
 * The targets, by figure name (README "Performance"). Ratios against another program (wscat, WeeChat, a
 * bare Ink program) are measured in the same run, so that they hold on any machine; `startup_ms` and
 * `keypress_ms` are absolute and so only printed (their ratio figures carry the targets).
 */
export const TARGETS: Record<string, Target> = {
  ingest_ratio: { op: '>=', limit: 0.7 },
  archive_ingest_ratio: { op: '>=', limit: 0.8 },
  search_scale_ratio: { op: '<=', limit: 3 },
  rss_1m_mb: { op: '<', limit: 150 },
  warm_start_vs_ink_floor: { op: '<=', limit: 1.3 },
  tail_vs_wscat: { op: '>=', limit: 1.2 },
  flood_cpu: { op: '<=', limit: 1.0 },
  flood_fps: { op: '<=', limit: 30 },
  flood_lag_p99_ms: { op: '<', limit: 100 },
  flood_cpu_vs_weechat: { op: '<=', limit: 1.0 },
  flood10k_cpu: { op: '<=', limit: 1.0 },
  flood10k_lag_p99_ms: { op: '<', limit: 100 },
  scrollback_frame_ratio: { op: '<=', limit: 1.2 },
  rss_100k_mb: { op: '<', limit: 130 },
  rss_per_100k_vs_weechat: { op: '<=', limit: 1.0 },
  keypress_ms: { op: 'info', limit: 0 },
  keypress_vs_weechat: { op: '<=', limit: 1.5 },
  startup_ms: { op: 'info', limit: 0 },
  startup_vs_ink_floor: { op: '<=', limit: 1.3 },
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
  if (f.target.op === 'info') return true;
  const v = checked(f);
  if (!Number.isFinite(v)) return false;
  return f.target.op === '>=' ? v >= f.target.limit : f.target.op === '<=' ? v <= f.target.limit : v < f.target.limit;
}

const opText = { '>=': '≥', '<=': '≤', '<': '<', info: '' } as const;

/** `(target ≥ 1.2) ok` / `MISS`, or `(for information)` for an info figure. */
function verdict(f: Figure): string {
  if (f.target.op === 'info') return '(for information)';
  return `(target ${opText[f.target.op]} ${f.target.limit}) ${passes(f) ? 'ok' : 'MISS'}`;
}

const fmt = (x: number): string => {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a >= 1000 ? String(Math.round(x)) : a >= 10 ? x.toFixed(1) : x.toFixed(2);
};

/** The text line: `name value unit (target …) ok|MISS`, with the absolute figures of a ratio after it. */
export function textLine(f: Figure): string {
  if (f.ratio !== undefined) {
    const detail = `${fmt(f.value)} ${f.unit} vs ${fmt(f.baseline ?? Number.NaN)} ${f.unit} baseline`;
    return `${f.name} ${fmt(f.ratio)} ratio ${verdict(f)}  [${detail}]${f.note ? ` ${f.note}` : ''}`;
  }
  return `${f.name} ${fmt(f.value)} ${f.unit} ${verdict(f)}${f.note ? `  [${f.note}]` : ''}`;
}

/** The JSON line: `{"name","value","unit","baseline"?,"ratio"?}` (numbers rounded to 4 significant decimals). */
export function jsonLine(f: Figure): string {
  const r = (x: number): number | null => (Number.isFinite(x) ? Math.round(x * 10_000) / 10_000 : null);
  const o: Record<string, unknown> = { name: f.name, value: r(f.value), unit: f.unit };
  if (f.baseline !== undefined) o.baseline = r(f.baseline);
  if (f.ratio !== undefined) o.ratio = r(f.ratio);
  return JSON.stringify(o);
}
