import { render } from 'preact';

import { App } from './app.js';
import { SessionGate } from './session/session-gate.js';
import './styles.css';

const root = document.getElementById('app');
if (!root) throw new Error('index.html has no #app element');
render(<SessionGate>{(logout) => <App onLogout={logout} />}</SessionGate>, root);
