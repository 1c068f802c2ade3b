/**
 * Built-ins `@moq/net` uses that Node 20 lacks (`Promise.withResolvers`, the ES2025 `Set`
 * methods). core-js installs each only where it is missing.
 */
import 'core-js/actual/promise/with-resolvers.js';
import 'core-js/actual/set/index.js';
