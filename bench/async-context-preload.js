// Loaded with `node --require` by `make bench`'s tracing step (mode "context"): one
// AsyncLocalStorage in use from start-up, as the OpenTelemetry SDK's context manager keeps one,
// with tracing itself off. On Node 20 that alone turns on the async hooks every promise,
// callback and nextTick then goes through: the step measures what that part of tracing costs.
'use strict';
const { AsyncLocalStorage } = require('node:async_hooks');

new AsyncLocalStorage().enterWith({});
