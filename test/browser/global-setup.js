/* eslint-disable @typescript-eslint/no-require-imports */
/**
 * The e2e global setup (builds the service, starts a database), plus the demo page: the browser
 * tests load it from the service as `npm run build` makes it.
 */
const { buildPublic } = require('../../scripts/build-public');
const globalSetup = require('../support/global-setup');

module.exports = async function browserGlobalSetup() {
  buildPublic();
  await globalSetup();
};
