// Loaded by tests/live/.mocharc.json (npm run test:live): the live suite deploys real Azure resources for
// an hour or more, so it runs only when asked for, never as part of the default `npm test`.
process.env.SCENARIOS_LIVE = "1";
