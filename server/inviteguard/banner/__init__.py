"""The warning's words: rendering, editable texts, their store, checks. Imports only detect, runtime."""
