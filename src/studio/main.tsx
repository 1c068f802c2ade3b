/* Entry of the studio page: mounts the app (the only side effect). */
import { render } from 'solid-js/web';
import { App } from './App';
import { connectEngine } from './engine-client';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('studio: #root element missing from index.html');
render(() => <App engine={connectEngine()} />, root);
