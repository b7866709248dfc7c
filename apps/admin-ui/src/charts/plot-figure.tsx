import * as Plot from '@observablehq/plot';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';

/** The value under the pointer (a datum of a mark with a pointer transform), or undefined. */
export type PointerValue = unknown;

interface PlotFigureProps {
  /** The plot without its width: the figure is as wide as its container. */
  options: Plot.PlotOptions;
  /** Called with the datum under the pointer as it moves (Plot's `input` event). */
  onPointer?: (value: PointerValue) => void;
  /** Called on a click with the datum under the pointer. */
  onPick?: (value: PointerValue) => void;
  class?: string;
  testId?: string;
}

/**
 * Width of an element, following resizes. Measured by a ResizeObserver only (its first report
 * comes after the next layout): reading clientWidth as each chart mounts would force one layout
 * per chart, and a run page mounts sixteen of them at once.
 */
function useWidth(ref: { current: HTMLElement | null }): number {
  const [width, setWidth] = useState(0);
  useLayoutEffect(() => {
    const element = ref.current;
    if (!element) return undefined;
    let frame = 0;
    const observer = new ResizeObserver((entries) => {
      const measured = Math.floor(entries[0]?.contentRect.width ?? 0);
      // Set on the next frame: drawing the chart changes the element's height, and setting state
      // inside the observer's own delivery would report again in the same frame.
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(() => setWidth(measured));
    });
    observer.observe(element);
    return () => {
      cancelAnimationFrame(frame);
      observer.disconnect();
    };
  }, [ref]);
  return width;
}

/** An Observable Plot chart in a Preact tree: drawn again when its options or its width change. */
export function PlotFigure({ options, onPointer, onPick, class: className, testId }: PlotFigureProps) {
  const container = useRef<HTMLDivElement>(null);
  const width = useWidth(container);
  const handlers = useRef({ onPointer, onPick });
  handlers.current = { onPointer, onPick };

  // Drawn before the browser paints (a layout effect), so the first frame with data has its charts.
  useLayoutEffect(() => {
    const element = container.current;
    if (!element || width === 0) return undefined;
    const figure = Plot.plot({ ...options, width });
    const onInput = (): void => handlers.current.onPointer?.(figure.value);
    const onClick = (): void => handlers.current.onPick?.(figure.value);
    figure.addEventListener('input', onInput);
    figure.addEventListener('click', onClick);
    element.replaceChildren(figure);
    return () => {
      figure.removeEventListener('input', onInput);
      figure.removeEventListener('click', onClick);
      figure.remove();
    };
  }, [options, width]);

  return <div ref={container} class={className ?? 'plot'} data-testid={testId} />;
}
