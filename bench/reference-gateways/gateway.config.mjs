// Hive Gateway configuration for bench/gateway.py: forward the client's Authorization.
import { defineConfig } from "@graphql-hive/gateway";

export const gatewayConfig = defineConfig({
  propagateHeaders: {
    fromClientToSubgraphs({ request }) {
      return { authorization: request.headers.get("authorization") ?? "" };
    },
  },
});
