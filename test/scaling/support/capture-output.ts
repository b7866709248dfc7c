/**
 * Records what this process writes to stdout and stderr (the Nest logger's lines) while still
 * writing it through, so a test can check that a secret never shows in the logs.
 */
export interface CapturedOutput {
  text(): string;
  stop(): void;
}

export function captureOutput(): CapturedOutput {
  let captured = '';
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((stream) => stream.write.bind(stream));
  streams.forEach((stream, i) => {
    stream.write = (chunk: string | Uint8Array, ...rest: never[]) => {
      captured += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
      return originals[i]!(chunk, ...rest);
    };
  });
  return {
    text: () => captured,
    stop: () => streams.forEach((stream, i) => (stream.write = originals[i]!)),
  };
}
