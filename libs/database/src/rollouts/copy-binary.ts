/**
 * A writer of Postgres' binary COPY format (COPY … FROM STDIN WITH (FORMAT binary)): each tuple is
 * an int16 field count, then per field an int32 byte length (-1 for NULL) and the value in the
 * type's binary send format, big-endian. The server parses no text (no float parsing, no escape
 * handling), and nothing a value holds can end the data early: every value is length-prefixed.
 */

/** Signature, flags (no OIDs), header extension length (none). */
export const COPY_BINARY_HEADER = Buffer.from([
  0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
]);

/** The int16 -1 that ends the data. */
export const COPY_BINARY_TRAILER = Buffer.from([0xff, 0xff]);

const NULL_LENGTH = -1;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A uuid as its 16 bytes (the binary form of the uuid type). */
export function uuidBytes(uuid: string): Buffer {
  if (!UUID.test(uuid)) throw new TypeError(`not a UUID: ${JSON.stringify(uuid)}`);
  return Buffer.from(uuid.replaceAll('-', ''), 'hex');
}

/**
 * Tuples appended to one growing buffer (doubled when full, so each byte is copied O(1) times).
 * Numbers go through a DataView (big-endian by default), which optimised code inlines. The buffer
 * is never from Node's shared pool, so `take()`'s bytes can be transferred to another thread.
 */
export class CopyBinaryWriter {
  private buffer: Buffer;
  private view: DataView;
  private length = 0;

  constructor(initialBytes = 1 << 16) {
    this.buffer = Buffer.allocUnsafeSlow(Math.max(initialBytes, 64));
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
  }

  get byteLength(): number {
    return this.length;
  }

  /** Start a tuple of `fields` fields. */
  tuple(fields: number): void {
    this.reserve(2);
    this.view.setInt16(this.length, fields);
    this.length += 2;
  }

  null(): void {
    this.reserve(4);
    this.view.setInt32(this.length, NULL_LENGTH);
    this.length += 4;
  }

  int16(value: number): void {
    this.reserve(6);
    this.view.setInt32(this.length, 2);
    this.view.setInt16(this.length + 4, value);
    this.length += 6;
  }

  int32(value: number | null | undefined): void {
    if (value === null || value === undefined) return this.null();
    this.reserve(8);
    this.view.setInt32(this.length, 4);
    this.view.setInt32(this.length + 4, value);
    this.length += 8;
  }

  /**
   * An int8 whose value is written later (PromptIds.fill): returns the offset of its 8 value bytes.
   * Used for prompt ids, which the database assigns after the rows were encoded.
   */
  int64Slot(): number {
    this.reserve(12);
    this.view.setInt32(this.length, 8);
    const offset = this.length + 4;
    this.view.setFloat64(offset, 0);
    this.length += 12;
    return offset;
  }

  /** A uuid whose 16 bytes are written later: returns their offset. */
  uuidSlot(): number {
    this.reserve(20);
    this.view.setInt32(this.length, 16);
    const offset = this.length + 4;
    this.buffer.fill(0, offset, offset + 16);
    this.length += 20;
    return offset;
  }

  float64(value: number | null | undefined): void {
    if (value === null || value === undefined) return this.null();
    this.reserve(12);
    this.view.setInt32(this.length, 8);
    this.view.setFloat64(this.length + 4, value);
    this.length += 12;
  }

  boolean(value: boolean | null | undefined): void {
    if (value === null || value === undefined) return this.null();
    this.reserve(5);
    this.view.setInt32(this.length, 1);
    this.view.setUint8(this.length + 4, value ? 1 : 0);
    this.length += 5;
  }

  /** text (UTF-8). */
  text(value: string | null | undefined): void {
    if (value === null || value === undefined) return this.null();
    // At most 3 UTF-8 bytes per UTF-16 unit: reserve that, so write() can never truncate.
    this.reserve(4 + value.length * 3);
    const bytes = this.buffer.write(value, this.length + 4, 'utf8');
    this.view.setInt32(this.length, bytes);
    this.length += 4 + bytes;
  }

  /**
   * The tuples written so far: a view of this writer's buffer (write no more after taking it), or
   * with `trim`, a copy of just those bytes when the buffer is mostly unused (it may be sent to
   * another thread: spare capacity would travel with it).
   */
  take(options: { trim?: boolean } = {}): Uint8Array {
    if (options.trim === true && this.length < this.buffer.length * 0.75) {
      const copy = Buffer.allocUnsafeSlow(this.length);
      this.buffer.copy(copy, 0, 0, this.length);
      return new Uint8Array(copy.buffer, copy.byteOffset, this.length);
    }
    return new Uint8Array(this.buffer.buffer, this.buffer.byteOffset, this.length);
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafeSlow(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
  }
}
