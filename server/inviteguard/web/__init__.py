"""The HTTP service: analyze, verdict cache, auth, limits, metrics. Imports banner, detect, runtime."""
