import { AgentsPage, QUEUES_URL } from './pages/agents/agents-page.js';
import { ComparePage } from './pages/compare/compare-page.js';
import { RunPage } from './pages/run/run-page.js';
import { RunsPage } from './pages/runs/runs-page.js';
import { SubmitPage } from './pages/submit/submit-page.js';
import { href, type Page } from './router/location.js';
import { usePage } from './router/use-page.js';
import { maySubmit } from './session/session.js';
import { useSession } from './session/session-context.js';

const NAV: readonly { name: Page['name']; text: string; path: string }[] = [
  { name: 'runs', text: 'Runs', path: 'runs' },
  { name: 'compare', text: 'Compare', path: 'compare' },
  { name: 'agents', text: 'Agents', path: 'agents' },
  { name: 'submit', text: 'Submit', path: 'submit' },
];

function Content({ page }: { page: Page }) {
  switch (page.name) {
    case 'runs':
      return <RunsPage query={page.query} />;
    case 'run':
      // Keyed: another run's page starts from nothing rather than from this one's state.
      return <RunPage key={page.id} id={page.id} query={page.query} />;
    case 'compare':
      return <ComparePage query={page.query} />;
    case 'agents':
      return <AgentsPage />;
    case 'submit':
      return <SubmitPage query={page.query} />;
    case 'not-found':
      return (
        <section>
          <h1>Not found</h1>
          <p>
            Nothing lives at <code>{page.path}</code>. <a href={href('runs')}>Back to the runs</a>.
          </p>
        </section>
      );
  }
}

/** The panel: a skip link, the navigation (what the session's role may use), and the page of the location hash. */
export function App({ onLogout }: { onLogout: () => void }) {
  const page = usePage();
  const session = useSession();
  const nav = NAV.filter((item) => item.name !== 'submit' || maySubmit(session));
  const current = page.name === 'run' ? 'runs' : page.name;
  return (
    <>
      <a
        class="skip-link"
        href="#main"
        onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}
      >
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={href('runs')}>
          Brier
        </a>
        <nav aria-label="Sections">
          <ul>
            {nav.map((item) => (
              <li key={item.name}>
                <a href={href(item.path)} aria-current={current === item.name ? 'page' : undefined}>
                  {item.text}
                </a>
              </li>
            ))}
            <li>
              <a href={QUEUES_URL}>Queues</a>
            </li>
          </ul>
        </nav>
        <span class="who">
          <span class="muted">
            {session.name} ({session.role})
          </span>{' '}
          <button type="button" onClick={onLogout}>
            Log out
          </button>
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        <Content page={page} />
      </main>
    </>
  );
}
