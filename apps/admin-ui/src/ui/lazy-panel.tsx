import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';

interface LazyPanelProps {
  title: string;
  /** Drawn (and so loaded) only once the panel is opened: below-the-fold reads wait for a reader. */
  children: () => ComponentChildren;
  testId?: string;
}

/** A collapsed section whose content is made the first time it is opened, and kept after. */
export function LazyPanel({ title, children, testId }: LazyPanelProps) {
  const [opened, setOpened] = useState(false);
  return (
    <details
      class="panel"
      data-testid={testId}
      onToggle={(e) => {
        if (e.currentTarget.open) setOpened(true);
      }}
    >
      <summary>
        <h2>{title}</h2>
      </summary>
      {opened && children()}
    </details>
  );
}
