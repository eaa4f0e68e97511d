import type { Server } from "node:http";
import type { ReplicaPinningMiddleware } from "../../src";

type Handler = (req: { params: Record<string, string> }, res: { json(body: unknown): void }) => Promise<void>;

/** What the tests use of Express (installed with @nestjs/platform-express; its types are not). */
export interface ExpressApp {
  use(middleware: ReplicaPinningMiddleware): void;
  get(path: string, handler: Handler): void;
  post(path: string, handler: Handler): void;
  listen(port: number, host: string): Server;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const express = require("express") as () => ExpressApp;
