"""Detection: parse, the reader's view, signals, rules data, scoring. Imports no other part."""
