"""The notes app: the example `make run` launches."""
