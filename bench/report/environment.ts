import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import sqlite3 from "sqlite3";

/** The machine and the versions a run measured, as RESULTS.md states them. */
export interface Environment {
  readonly date: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGb: number;
  readonly os: string;
  readonly node: string;
  readonly packages: Readonly<Record<string, string>>;
  readonly sqlite: string;
  /** Set once the Postgres suite has found a server. */
  postgres?: string;
  readonly commit: string;
  /** 1-minute load average at the start and the end of the run: other work on the machine. */
  readonly loadAtStart: number;
  loadAtEnd?: number;
}

const root = path.resolve(__dirname, "..", "..");

function packageVersion(name: string): string {
  const file = path.join(root, "node_modules", name, "package.json");
  return (JSON.parse(fs.readFileSync(file, "utf8")) as { version: string }).version;
}

function gitCommit(): string {
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "src"], { cwd: root, encoding: "utf8" }).trim() !== "";
    return dirty ? `${commit} (src/ with uncommitted changes)` : commit;
  } catch {
    return "unknown (not a git checkout)";
  }
}

export function describeEnvironment(): Environment {
  const library = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { name: string; version: string };
  return {
    date: new Date().toISOString(),
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} (${os.arch()})`,
    node: process.version,
    packages: {
      [library.name]: library.version,
      typeorm: packageVersion("typeorm"),
      sqlite3: packageVersion("sqlite3"),
      pg: packageVersion("pg"),
      tinybench: packageVersion("tinybench"),
      "typeorm-transactional-tests": packageVersion("typeorm-transactional-tests"),
    },
    sqlite: (sqlite3 as unknown as { VERSION: string }).VERSION,
    commit: gitCommit(),
    loadAtStart: os.loadavg()[0]!,
  };
}
