"""Professionals: public applications with documents, vetting by consensus, nationwide search."""
