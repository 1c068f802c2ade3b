/**
 * `npm start` / `npm run serve`: `weft serve` with the flags given. Loopback binds need no token;
 * any other bind requires one (created in the data directory on first start, never logged again).
 */
import { main } from './cli';

// Once the server has shut down, exit whatever handle a library left open.
process.exit(await main(['serve', ...process.argv.slice(2)]));
