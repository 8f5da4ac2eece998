"""The packaged desktop build: PyInstaller, the build's baked settings, and the scan for secrets."""
