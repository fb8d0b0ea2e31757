// A 10 MiB logs.getLarge export (§5.12, §6.7–§6.10) assembled in the browser: chunks in order,
// `bytes` and `sha256` checked with WebCrypto, zlib payloads inflated with DecompressionStream,
// entries decoded; once as JSON chunks (base64 in text frames), once as compressed MessagePack.

/** Emitted entries: about 78 bytes each in MessagePack, so 140,000 make a little over 10 MiB. */
const ENTRIES = 140000;
const SERVICE = "aws"; // no other case emits to it, so the export holds exactly these entries
const MIB = 1048576;

export const cases = {
  async "10 MiB export: json and msgpack+compress, verified and decoded"(ctx) {
    const sidecar = await ctx.mainSidecar();
    const page = await ctx.mainPage();
    const r = await page.evaluate(async (url, token, count, service) => {
      const client = new flake.FlakeClient({ url, token, fallback: "never", callTimeoutMs: 20000 });
      await client.connect();
      // §11.6: emitted entries enter the log history that logs.getLarge reads.
      await client.call("test.emitLogs", { service, count, perNotification: 1000 });
      const runs = {};
      for (const [name, params] of [["json", { format: "json" }], ["msgpack+compress", { format: "msgpack", compress: true }]]) {
        const t0 = performance.now();
        const { meta, entries } = await client.getLarge({ service, timeRange: "1h", ...params });
        const ms = performance.now() - t0;
        let inOrder = true;
        for (let i = 0; i < entries.length; i++) if (entries[i].n !== i) { inOrder = false; break; }
        runs[name] = { meta, ms, count: entries.length, inOrder, last: entries.at(-1) };
      }
      // A corrupted copy must be refused: flip one payload byte of a real export and verify it again.
      const { verifyAndDecode } = await import("/client/large-data.js");
      const rpcMeta = { ...runs.json.meta };
      const bad = await verifyAndDecode(rpcMeta, [new Uint8Array(rpcMeta.bytes)]).then(() => "accepted", (e) => e.constructor.name);
      const stats = { ...client.stats };
      client.close();
      return { runs, bad, stats };
    }, sidecar.wsUrl, ctx.token, ENTRIES, SERVICE);

    const { check } = ctx;
    const json = r.runs.json;
    const packed = r.runs["msgpack+compress"];
    check(json.meta.format === "json" && json.meta.compressed === false, `json metadata: ${JSON.stringify(json.meta)}`);
    check(packed.meta.format === "msgpack" && packed.meta.compressed === true, `msgpack metadata: ${JSON.stringify(packed.meta)}`);
    check(json.meta.bytes >= 10 * MIB, `the export is ${json.meta.bytes} bytes, want at least 10 MiB`);
    check(json.meta.chunks >= 10, `${json.meta.chunks} chunks for ${json.meta.bytes} bytes (at most 1 MiB each, §6.8)`);
    for (const [name, run] of Object.entries(r.runs)) {
      check(run.count === ENTRIES && run.meta.totalEntries === ENTRIES, `${name}: ${run.count} entries, want ${ENTRIES}`);
      check(run.inOrder, `${name}: entries are not n = 0, 1, 2, … in order`);
      check(run.last.message === `test entry ${ENTRIES - 1}` && run.last.source === "test.emitLogs", `${name}: last entry ${JSON.stringify(run.last)}`);
    }
    check(packed.meta.bytes < json.meta.bytes, "compressed payloads are not smaller");
    check(r.bad === "IntegrityError", `a payload with the wrong bytes was ${r.bad}`);
    check(r.stats.binaryIn > 0, "no binary frames for the msgpack export (§2.4, §6.9)");
    const mb = (b) => (b / MIB).toFixed(1);
    return `json ${mb(json.meta.bytes)} MiB in ${json.meta.chunks} chunks, ${Math.round(json.ms)} ms; ` +
      `msgpack+compress ${mb(packed.meta.bytes)} MiB in ${packed.meta.chunks} chunks, ${Math.round(packed.ms)} ms`;
  },
};
