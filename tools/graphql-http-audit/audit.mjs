// The GraphQL over HTTP audits of the `graphql-http` package (its `auditServer`), run
// against running servers; prints every result as JSON for tests/gateway/test_graphql_over_http.py.
//
//   node audit.mjs MODULES URL...
//
// MODULES is the folder `npm install --prefix` put the package in (.wnwa/graphql-http).
import { createRequire } from "node:module";
import path from "node:path";

const [modules, ...urls] = process.argv.slice(2);
if (!modules || urls.length === 0) {
  console.error("usage: node audit.mjs MODULES URL...");
  process.exit(2);
}
const require = createRequire(path.resolve(modules, "package.json"));
const { auditServer } = require("graphql-http");

const results = {};
for (const url of urls) {
  const audits = await auditServer({ url });
  results[url] = await Promise.all(
    audits.map(async (result) => ({
      id: result.id,
      name: result.name,
      status: result.status,
      reason: result.status === "ok" ? null : result.reason,
      response:
        result.status === "ok"
          ? null
          : { status: result.response.status, body: await result.response.text().catch(() => "") },
    })),
  );
}
process.stdout.write(JSON.stringify(results));
