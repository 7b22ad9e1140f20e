/**
 * Feed-parser error helpers: every error names the file and the record
 * (advisory id, entry index, CSV line) that broke, so whoever runs an import
 * can open the vendor file at the right place. The codes live in the one
 * catalogue (PF_ERR_FEED_PARSE, PF_ERR_FEED_IO).
 */
import { Errors, PfError } from '@patchfleet/shared/errors';


/** Where in a feed something sits. `file` is whatever label the caller gave as the source (usually the path). */
export interface FeedPlace {
  /** File path or label of the source. */
  file: string;
  /** The record's own id when known (USN id, CVE id, CVRF document id). */
  record?: string;
  /** Position of the record in a list (JSON array index, KEV entry index). */
  index?: number;
  /** 1-based line number, for line-oriented formats. */
  line?: number;
  /** JSON/XML path inside the record, e.g. `affected[2].ranges[0].events[1]`. */
  path?: string;
}

/** Renders a place as `file: record X (index 3), line 7, at path`. */
export function describePlace(place: FeedPlace): string {
  const parts: string[] = [];
  if (place.record !== undefined && place.index !== undefined) parts.push(`record ${place.record} (index ${place.index})`);
  else if (place.record !== undefined) parts.push(`record ${place.record}`);
  else if (place.index !== undefined) parts.push(`index ${place.index}`);
  if (place.line !== undefined) parts.push(`line ${place.line}`);
  if (place.path !== undefined && place.path !== '') parts.push(`at ${place.path}`);
  return parts.length > 0 ? `${place.file}: ${parts.join(', ')}` : place.file;
}

/** A PF_ERR_FEED_PARSE error whose message and details name the place and the problem. */
export function feedParseError(place: FeedPlace, problem: string, cause?: unknown): PfError {
  return new PfError(
    Errors.FEED_PARSE,
    `${describePlace(place)}: ${problem}`,
    { ...place, problem },
    cause === undefined ? undefined : { cause },
  );
}

/** A PF_ERR_FEED_IO error for a file that could not be opened or read. */
export function feedIoError(file: string, cause: unknown): PfError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new PfError(Errors.FEED_IO, `${file}: cannot read: ${reason}`, { file, problem: reason }, { cause });
}
