"""python -m examples.notes [--server URL] [--xvfb-if-no-display]: runs the notes app."""

from examples.notes.app import app

app.run()
