// Hive Gateway configuration for bench/gateway.py: forward the client's Authorization.
// With BENCH_JWKS_URL set it first verifies the bearer token as the project's gateway does
// (ES256, issuer BENCH_TOKEN_ISSUER, audience BENCH_TOKEN_AUDIENCE, keys from the JWKS,
// cached), with its own JWT plugin, and refuses the request when it is not valid.
import { createRemoteJwksSigningKeyProvider, defineConfig } from "@graphql-hive/gateway";

const jwksUri = process.env.BENCH_JWKS_URL;

export const gatewayConfig = defineConfig({
  propagateHeaders: {
    fromClientToSubgraphs({ request }) {
      return { authorization: request.headers.get("authorization") ?? "" };
    },
  },
  ...(jwksUri && {
    jwt: {
      signingKeyProviders: [createRemoteJwksSigningKeyProvider({ jwksUri })],
      tokenVerification: {
        issuer: process.env.BENCH_TOKEN_ISSUER,
        audience: process.env.BENCH_TOKEN_AUDIENCE,
        algorithms: ["ES256"],
      },
      reject: { missingToken: true, invalidToken: true },
    },
  }),
});
