// One free-port finder for tests and benches (ops/ cannot import from test/, the image leaves it out).
export { freePort } from '../../ops/bench/lib/net';
