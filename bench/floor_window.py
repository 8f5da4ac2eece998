"""The desktop floor: a bare pywebview window on Qt painting a static page, with nothing else in the process."""

import webview

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Floor</title></head>
<body data-view="ready"><h1>Kernia Desktop bench</h1><p>A static page in a bare window.</p></body></html>"""


def main() -> None:
    webview.create_window("Floor", html=PAGE)
    webview.start(gui="qt", private_mode=True)


if __name__ == "__main__":
    main()
