import { useEffect, useState } from 'preact/hooks';

/** The time, refreshed every `ms` while mounted: ages on screen keep counting (no request is made). */
export function useNow(ms = 5_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}
