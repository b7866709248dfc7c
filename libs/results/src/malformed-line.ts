/** A line a reader skipped, kept so the caller can report it with its number. */
export interface MalformedLine {
  line: number;
  error: string;
}
