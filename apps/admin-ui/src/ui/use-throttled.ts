import { useEffect, useRef, useState } from 'preact/hooks';

/**
 * `value`, but changing at most once per `ms` (the latest value wins): what a live page uses to
 * re-read something derived (a reliability grid) without one read per event.
 */
export function useThrottled<T>(value: T, ms: number): T {
  const [shown, setShown] = useState(value);
  // When `shown` last changed: the first change after a quiet spell goes through at once.
  const last = useRef(-Infinity);
  useEffect(() => {
    if (Object.is(value, shown)) return undefined;
    const wait = last.current + ms - Date.now();
    if (wait <= 0) {
      last.current = Date.now();
      setShown(value);
      return undefined;
    }
    const timer = setTimeout(() => {
      last.current = Date.now();
      setShown(value);
    }, wait);
    return () => clearTimeout(timer);
  }, [value, ms, shown]);
  return shown;
}
