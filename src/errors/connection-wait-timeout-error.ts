import { SharedReplicationError } from "./shared-replication-error";

/**
 * Thrown when a statement or a transaction waited longer than `connectionWaitTimeout` for the
 * shared connection. The connection is held by another runner's open transaction; the message
 * names that runner and where it took the connection. Usually a flow awaits something that needs
 * the connection while another flow's transaction is open, or a transaction was never committed,
 * rolled back or released.
 */
export class ConnectionWaitTimeoutError extends SharedReplicationError {
  /** How long the statement waited, in milliseconds. */
  readonly waitedMs: number;
  /** Description of the runner that held the connection, including where it acquired it. */
  readonly holder: string;

  constructor(waitedMs: number, waiter: string, holder: string) {
    super(
      `${waiter} waited ${waitedMs} ms for the shared connection and gave up. ${holder}\n` +
        `Commit, roll back or release that transaction, or avoid awaiting work that needs the connection ` +
        `while another flow's transaction is open. The limit is the connectionWaitTimeout setting.`,
    );
    this.waitedMs = waitedMs;
    this.holder = holder;
  }
}
