import { randomBytes } from 'node:crypto';
import { Ajv, type ValidateFunction } from 'ajv';
import { PfError, Errors } from '../errors';
import { MessageSchemas, type Body, type Message, type MessageOf, type MessageType } from './messages';
import { Limits, MIN_PROTOCOL_VERSION, PROTOCOL_VERSION } from './version';

/**
 * Each frame type's validator, compiled when a frame of that type first
 * arrives: an agent receives a handful of the types (compiling all of them,
 * the inventory ones the largest, cost it about 0.3 MiB of generated source
 * and its bytecode, kept for the life of the process).
 */
let ajv: Ajv | undefined;
const validators = new Map<MessageType, ValidateFunction>();
export function validatorOf(type: MessageType): ValidateFunction {
  let validate = validators.get(type);
  if (!validate) {
    ajv ??= new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });
    validate = ajv.compile(MessageSchemas[type]);
    validators.set(type, validate);
  }
  return validate;
}

const isMessageType = (t: unknown): t is MessageType => typeof t === 'string' && Object.hasOwn(MessageSchemas, t);

/**
 * Random bytes for frame ids, drawn from the system's CSPRNG 9 KiB at a time:
 * one `randomBytes` call per frame cost ~13 us (a controller sends two frames
 * per agent in a fan-out), slicing a pooled buffer well under 1 us.
 */
const ID_BYTES = 9;
const ID_POOL_IDS = 1024;
let idPool = Buffer.alloc(0);
let idPoolAt = 0;

/** Frame ids: short, random, unique enough for correlating replies. */
export function frameId(): string {
  if (idPoolAt + ID_BYTES > idPool.length) {
    idPool = randomBytes(ID_BYTES * ID_POOL_IDS);
    idPoolAt = 0;
  }
  const id = idPool.toString('base64url', idPoolAt, idPoolAt + ID_BYTES);
  idPoolAt += ID_BYTES;
  return id;
}

/** Builds a frame with the envelope fields. */
export function makeFrame<K extends MessageType>(type: K, body: Body<K>, now: number, id = frameId()): MessageOf<K> {
  return { v: PROTOCOL_VERSION, type, id, ts: Math.floor(now), ...body } as unknown as MessageOf<K>;
}

export function encodeFrame(message: Message): string {
  return JSON.stringify(message);
}

/**
 * Parses and validates one frame. Throws PfError with a protocol code:
 * FRAME_TOO_LARGE, BAD_FRAME (not JSON, unknown type, schema violation) or
 * UNSUPPORTED_VERSION. The message names the first offending field.
 */
export function decodeFrame(data: string | Buffer, maxBytes: number = Limits.maxFrameBytes): Message {
  const size = typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.length;
  if (size > maxBytes) {
    throw new PfError(Errors.FRAME_TOO_LARGE, `frame of ${size} bytes exceeds the limit of ${maxBytes}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof data === 'string' ? data : data.toString('utf8'));
  } catch {
    throw new PfError(Errors.BAD_FRAME, 'frame is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new PfError(Errors.BAD_FRAME, 'frame is not a JSON object');
  }
  const { type, v } = parsed as { type?: unknown; v?: unknown };
  if (!isMessageType(type)) {
    throw new PfError(Errors.BAD_FRAME, `unknown frame type ${JSON.stringify(String(type)).slice(0, 80)}`);
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v < MIN_PROTOCOL_VERSION || v > PROTOCOL_VERSION) {
    throw new PfError(Errors.UNSUPPORTED_VERSION, `protocol version ${String(v).slice(0, 20)} not supported (supported ${MIN_PROTOCOL_VERSION}..${PROTOCOL_VERSION})`);
  }
  const validate = validatorOf(type);
  if (!validate(parsed)) {
    const e = validate.errors?.[0];
    // ajv reports an unexpected property at its parent's path; name the property itself.
    const extra = e?.keyword === 'additionalProperties' ? ` "${String((e.params as { additionalProperty?: unknown }).additionalProperty).slice(0, 64)}"` : '';
    const where = e ? `${e.instancePath || '/'} ${e.message ?? ''}${extra}`.trim() : 'invalid';
    throw new PfError(Errors.BAD_FRAME, `invalid ${type} frame: ${where}`);
  }
  return parsed as Message;
}
