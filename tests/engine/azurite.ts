/**
 * Azurite, the Azure Storage emulator (tools/azurite, installed by `npm run engine:build`), for the
 * `azblob://` state backend a team would share. Started on a free loopback port in a temporary directory,
 * stopped by the test. Account and key are the emulator's published development ones, not secrets:
 * https://learn.microsoft.com/azure/storage/common/storage-use-azurite#well-known-storage-account-and-key
 * Pulumi's azblob backend is gocloud's azureblob opener, which takes `domain`, `protocol` and `localemu`:
 * https://pkg.go.dev/gocloud.dev/blob/azureblob#URLOpener
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { PROJECT_DIR } from "../../config/load";

export const AZURITE_BIN = path.join(PROJECT_DIR, "tools", "azurite", "node_modules", ".bin", "azurite-blob");
const ACCOUNT = "devstoreaccount1";
const KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

export function azuriteUnavailable(): string | undefined {
  return fs.existsSync(AZURITE_BIN) ? undefined : "Azurite is not installed in tools/azurite (npm run engine:build installs it)";
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

export interface Azurite {
  port: number;
  /** A PULUMI_BACKEND_URL for `container` (created first), and the variables the backend needs. */
  backend(container: string): Promise<{ url: string; env: Record<string, string> }>;
  stop(): Promise<void>;
}

export async function startAzurite(dir: string): Promise<Azurite> {
  const port = await freePort();
  const child: ChildProcess = spawn(AZURITE_BIN, ["--blobHost", "127.0.0.1", "--blobPort", String(port), "--location", dir, "--silent", "--skipApiVersionCheck"], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  for (let i = 0; i < 100 && !/successfully listens/.test(output); i++) {
    if (child.exitCode !== null) throw new Error(`Azurite exited: ${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  if (!/successfully listens/.test(output)) throw new Error(`Azurite did not start: ${output}`);
  return {
    port,
    async backend(container) {
      await createContainer(port, container);
      return {
        url: `azblob://${container}?domain=127.0.0.1:${port}&protocol=http&localemu=true`,
        env: { AZURE_STORAGE_ACCOUNT: ACCOUNT, AZURE_STORAGE_KEY: KEY },
      };
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        // Azurite's graceful close waits for idle keep-alive connections; its data is thrown away anyway.
        const hard = setTimeout(() => child.kill("SIGKILL"), 3000);
        child.once("exit", () => {
          clearTimeout(hard);
          resolve();
        });
        child.kill("SIGTERM");
      }),
  };
}

/** Create Container with Shared Key authorization: https://learn.microsoft.com/rest/api/storageservices/authorize-with-shared-key */
async function createContainer(port: number, container: string): Promise<void> {
  const date = new Date().toUTCString();
  const version = "2021-08-06";
  const resource = `/${ACCOUNT}/${ACCOUNT}/${container}\nrestype:container`;
  const toSign = ["PUT", "", "", "", "", "", "", "", "", "", "", "", `x-ms-date:${date}\nx-ms-version:${version}`, resource].join("\n");
  const signature = createHmac("sha256", Buffer.from(KEY, "base64")).update(toSign, "utf8").digest("base64");
  const res = await fetch(`http://127.0.0.1:${port}/${ACCOUNT}/${container}?restype=container`, {
    method: "PUT",
    headers: { "x-ms-date": date, "x-ms-version": version, Authorization: `SharedKey ${ACCOUNT}:${signature}`, "Content-Length": "0" },
  });
  if (res.status !== 201) throw new Error(`creating container ${container}: ${res.status} ${await res.text()}`);
}
