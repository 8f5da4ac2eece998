"""The files a server that listens on loopback only keeps in its data dir, unless its settings name others.

Standard library only: the desktop shell reads them at launch (local_sessions), before anything heavier loads.
"""

DATABASE_FILE = "kernia.db"
SECRET_FILE = "secret"
