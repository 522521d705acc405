// The UI's entry: mounts the app into index.html's #app.
import { render } from 'preact';
import { App } from './components/app.js';
import './styles.css';

const root = document.getElementById('app')!;
root.textContent = ''; // the "Loading…" placeholder
render(<App />, root);
