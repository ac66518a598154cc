/** The tenant (a bot id) of unit tests' jobs and stores, where which bot does not matter. */
export const TEST_TENANT = '1001';
