"""The gateway: the one public GraphQL endpoint over the services' subgraphs."""
