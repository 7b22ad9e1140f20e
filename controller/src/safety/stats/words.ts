/**
 * Numbers as the gate summaries print them: counts with thousands
 * separators, ratios as "x40", evidence that stays readable when it is huge.
 */

// Built once: toLocaleString builds a formatter per call (tens of microseconds), too slow for every cohort at every tick.
const WHOLE = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const ONE_DECIMAL = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

/** 2400 -> "2,400"; 12.5 -> "12.5"; 1234.6 -> "1,235". */
export function formatAmount(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return (Math.abs(n) >= 100 || Number.isInteger(n) ? WHOLE : ONE_DECIMAL).format(n);
}

/** Host-hours: like formatAmount, but a fraction of an hour keeps two significant digits ("0.031"), so a young cohort does not read as "0 host-hours". */
export function formatHours(h: number): string {
  if (Number.isFinite(h) && h > 0 && h < 1) return String(Number(h.toPrecision(2)));
  return formatAmount(h);
}

/** A rate ratio: "x40", "x2.5", "x0.8". */
export function formatRatio(r: number): string {
  if (!Number.isFinite(r)) return 'x∞';
  if (r >= 10) return `x${WHOLE.format(Math.round(r))}`;
  return `x${Number(r.toPrecision(2))}`;
}

/** An e-value: "312", "4.2", "2.1e+9", ">1e+300". */
export function formatEvidence(e: number): string {
  if (!(e < 1e300)) return '>1e+300';
  if (e >= 1e6) return e.toExponential(1);
  if (e >= 10) return WHOLE.format(Math.round(e));
  return String(Number(e.toPrecision(2)));
}

/** A probability or share as a percentage: "20 %", "0.5 %", "99.8 %" (never rounded up to 100 %). */
export function formatPercent(p: number): string {
  const pct = p * 100;
  if (pct > 99 && pct < 100) return `${Math.floor(pct * 10) / 10} %`;
  if (pct >= 10 || pct === 0) return `${Math.round(pct)} %`;
  return `${Number(pct.toPrecision(2))} %`;
}

/** "1 application crash" / "6 application crashes". */
export function countOf(n: number, singular: string, plural: string): string {
  return `${formatAmount(n)} ${n === 1 ? singular : plural}`;
}
