import { useEffect } from 'preact/hooks';

/** The tab's title while a page is shown: `<what> · Brier`. */
export function useTitle(what: string): void {
  useEffect(() => {
    document.title = `${what} · Brier`;
  }, [what]);
}
