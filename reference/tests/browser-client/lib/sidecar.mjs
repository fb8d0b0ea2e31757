// Starts, stops and restarts flake-sidecar processes for the browser tests: port from the start-up
// line (§1.2), the same port again after a restart, SIGKILL for a crash, SIGTERM for a clean stop.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";

const LISTENING = /listening on ws:\/\/[^/ ]+:([0-9]{1,5})\/rpc\s*$/;

export class Sidecar {
  /**
   * @param {{bin: string, tokenFile: string, args?: string[], name?: string}} options args: extra
   *   options after --port, --token-file and --conformance
   */
  constructor({ bin, tokenFile, args = [], name = "sidecar" }) {
    this.bin = bin;
    this.tokenFile = tokenFile;
    this.args = args;
    this.name = name;
    this.port = 0;
    this.proc = null;
  }

  /** Starts it (on this.port, 0 the first time) and resolves with the port it reports. */
  start() {
    const argv = ["--port", String(this.port), "--token-file", this.tokenFile, "--conformance", ...this.args];
    const proc = spawn(this.bin, argv, { stdio: ["ignore", "pipe", "pipe"] });
    this.proc = proc;
    this.exited = new Promise((resolve) => proc.on("exit", (code, signal) => resolve({ code, signal })));
    proc.stderr.on("data", (d) => process.stderr.write(`${this.name}: ${d}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no start-up line within 10 s`)), 10000);
      proc.on("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${this.name} exited before listening (${code ?? signal})`));
      });
      createInterface({ input: proc.stdout }).on("line", (line) => {
        const match = LISTENING.exec(line);
        if (!match) return;
        clearTimeout(timer);
        this.port = Number(match[1]);
        this.startedAt = performance.now();
        resolve(this.port);
      });
    });
  }

  /** SIGKILL: a crash, no close frames (§2.10 lists no code for it). */
  async kill() {
    this.proc?.kill("SIGKILL");
    await this.exited;
    this.proc = null;
  }

  /** SIGTERM, and the exit status (§8.11 wants 0 within 2 s). */
  async stop() {
    if (!this.proc) return { code: null, signal: "not running" };
    this.proc.kill("SIGTERM");
    const timer = setTimeout(() => this.proc?.kill("SIGKILL"), 5000);
    const status = await this.exited;
    clearTimeout(timer);
    this.proc = null;
    return status;
  }

  get wsUrl() {
    return `ws://127.0.0.1:${this.port}/rpc`;
  }

  get httpBase() {
    return `http://127.0.0.1:${this.port}`;
  }
}
