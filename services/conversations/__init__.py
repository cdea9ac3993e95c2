"""Conversations: end-to-end encrypted messages between an officer and a peer supporter,
relayed in memory and kept nowhere (docs/conversations.md)."""
