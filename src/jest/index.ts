// The entry point of `typeorm-shared-replication/jest`: the Jest adapter. The package root does not
// import it, so mocha users never load Jest.
export { useTransactionalTests } from "./use-transactional-tests";
export type { TransactionalTests } from "../testing/transactional-tests";
export type { TestIsolationOptions } from "../testing/test-isolation";
